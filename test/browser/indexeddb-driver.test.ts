import { indexedDBDriver } from '../../src/store/drivers/indexeddb.js'
import { driverSuite } from '../shared/driver-suite.js'

let clock = 1_000_000
driverSuite('indexeddb', () => indexedDBDriver({ name: 'engram-driver-suite', now: () => clock }), {
  ttl: {
    advance: (ms) => {
      clock += ms
    },
  },
})
