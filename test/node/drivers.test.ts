import { memoryDriver } from '../../src/store/drivers/memory.js'
import { driverSuite } from '../shared/driver-suite.js'

let clock = 0
driverSuite('memory', () => memoryDriver({ now: () => clock }), {
  ttl: {
    advance: (ms) => {
      clock += ms
    },
  },
})
