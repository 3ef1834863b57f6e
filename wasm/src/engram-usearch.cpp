// engram's vector index: a thin C ABI over usearch's index_dense_gt, one index per wasm instance.
//
// Entries are named by their slot in usearch's graph, and every live node's key is its slot, so the file
// still carries unique keys (what the native addon reads) while no key -> slot hash set is kept: that set
// cost about 40 bytes per vector, more than a tenth of an i8 index. The JS side maps its string ids to
// slots. Slots cross the boundary as doubles; vectors as f32 in linear memory. The JS side writes inputs
// into the scratch area returned by eg_scratch() and reads results from the same area.
//
// Distances use our own SIMD128 kernels instead of usearch's scalar fallbacks (NumKong is off in wasm):
// - cos f32 stores unit vectors, so cosine distance is 1 - dot; the file still says "cos", so the native
//   addon reading it computes the same numbers.
// - cos i8 fixes usearch's scalar kernel, which returns 0 (a perfect match) whenever the integer dot
//   product is 0, so orthogonal vectors came back first.
#include "no-threads.hpp"

#include <usearch/index_plugins.hpp>

#include "tape.hpp"

#include <usearch/index_dense.hpp>
#include <wasm_simd128.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace unum::usearch;

using index_t = index_dense_gt<std::uint64_t, std::uint32_t>;
using metric_t = index_t::metric_t;

// usearch's page allocator asks mmap for big "uninitialized" arenas (doubling in size). wasi-libc's
// emulated mmap zero-fills them, which makes every reserved byte resident; these hand out malloc'd
// memory untouched, so only what usearch writes costs real memory.
extern "C" void* mmap(void*, std::size_t length, int, int, int, off_t) {
    void* p = std::aligned_alloc(4096, (length + 4095) / 4096 * 4096);
    return p ? p : reinterpret_cast<void*>(-1);
}
extern "C" int munmap(void* p, std::size_t) {
    std::free(p);
    return 0;
}

// Streaming serialization through the host: write(ptr, len) and read(ptr, len) copy a chunk out of or
// into linear memory and return 1 on success, so no whole copy of the index sits in wasm memory.
extern "C" __attribute__((import_module("engram"), import_name("write"))) int host_write(void const*, std::size_t);
extern "C" __attribute__((import_module("engram"), import_name("read"))) int host_read(void*, std::size_t);

namespace {

enum status_t : int {
    ok_k = 0,
    bad_arguments_k = -1,
    out_of_memory_k = -2,
    not_created_k = -3,
    usearch_failed_k = -5,
    bad_bytes_k = -6,
};

index_t g_index;
bool g_ready = false;
// How vectors are prepared before usearch sees them.
enum class input_t {
    as_is,     // l2, ip on floats, l2 on i8 (usearch's own cast)
    unit_f32,  // cosine on f32/f16: stored at unit length
    scaled_i8, // cosine/ip on i8: our rounding cast using the full int8 range
};
input_t g_input = input_t::as_is;
std::size_t g_dims = 0;
char const* g_error = "";

unsigned char* g_scratch = nullptr;
std::size_t g_scratch_size = 0;
float* g_unit = nullptr;              // one normalized vector
unsigned char* g_stored_query = nullptr; // one query in the stored scalar type
std::int8_t* g_i8 = nullptr;             // one vector after our i8 cast

// ---- distance kernels (array, array, dims) ----

inline float hsum(v128_t v) {
    return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
           wasm_f32x4_extract_lane(v, 3);
}

inline std::int32_t hsum_i32(v128_t v) {
    return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) + wasm_i32x4_extract_lane(v, 2) +
           wasm_i32x4_extract_lane(v, 3);
}

float dot_f32(float const* a, float const* b, std::size_t n) {
    v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(a + i + 8), wasm_v128_load(b + i + 8)));
        s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(a + i + 12), wasm_v128_load(b + i + 12)));
    }
    for (; i + 4 <= n; i += 4)
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    float sum = hsum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
    for (; i < n; ++i)
        sum += a[i] * b[i];
    return sum;
}

float ip_f32(std::size_t a, std::size_t b, std::size_t n) {
    return 1.f - dot_f32(reinterpret_cast<float const*>(a), reinterpret_cast<float const*>(b), n);
}

float l2sq_f32(std::size_t a_ptr, std::size_t b_ptr, std::size_t n) {
    float const* a = reinterpret_cast<float const*>(a_ptr);
    float const* b = reinterpret_cast<float const*>(b_ptr);
    v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t d0 = wasm_f32x4_sub(wasm_v128_load(a + i), wasm_v128_load(b + i));
        v128_t d1 = wasm_f32x4_sub(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4));
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(d1, d1));
    }
    float sum = hsum(wasm_f32x4_add(s0, s1));
    for (; i < n; ++i)
        sum += (a[i] - b[i]) * (a[i] - b[i]);
    return sum;
}

struct i8_sums_t {
    std::int32_t ab, a2, b2;
};

i8_sums_t sums_i8(std::int8_t const* a, std::int8_t const* b, std::size_t n) {
    v128_t ab = wasm_i32x4_splat(0), a2 = ab, b2 = ab;
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        v128_t al = wasm_i16x8_extend_low_i8x16(va), ah = wasm_i16x8_extend_high_i8x16(va);
        v128_t bl = wasm_i16x8_extend_low_i8x16(vb), bh = wasm_i16x8_extend_high_i8x16(vb);
        ab = wasm_i32x4_add(ab, wasm_i32x4_add(wasm_i32x4_dot_i16x8(al, bl), wasm_i32x4_dot_i16x8(ah, bh)));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_add(wasm_i32x4_dot_i16x8(al, al), wasm_i32x4_dot_i16x8(ah, ah)));
        b2 = wasm_i32x4_add(b2, wasm_i32x4_add(wasm_i32x4_dot_i16x8(bl, bl), wasm_i32x4_dot_i16x8(bh, bh)));
    }
    i8_sums_t s{hsum_i32(ab), hsum_i32(a2), hsum_i32(b2)};
    for (; i < n; ++i) {
        s.ab += std::int32_t(a[i]) * b[i];
        s.a2 += std::int32_t(a[i]) * a[i];
        s.b2 += std::int32_t(b[i]) * b[i];
    }
    return s;
}

// Cosine distance from the integer sums; zero vectors follow usearch's float rule (both zero: 0, one: 1).
float cos_i8(std::size_t a, std::size_t b, std::size_t n) {
    i8_sums_t s = sums_i8(reinterpret_cast<std::int8_t const*>(a), reinterpret_cast<std::int8_t const*>(b), n);
    if (s.a2 == 0 || s.b2 == 0)
        return (s.a2 == 0 && s.b2 == 0) ? 0.f : 1.f;
    return 1.f - float(s.ab) / (std::sqrt(float(s.a2)) * std::sqrt(float(s.b2)));
}

float l2sq_i8(std::size_t a_ptr, std::size_t b_ptr, std::size_t n) {
    std::int8_t const* a = reinterpret_cast<std::int8_t const*>(a_ptr);
    std::int8_t const* b = reinterpret_cast<std::int8_t const*>(b_ptr);
    v128_t s = wasm_i32x4_splat(0);
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        v128_t dl = wasm_i16x8_sub(wasm_i16x8_extend_low_i8x16(va), wasm_i16x8_extend_low_i8x16(vb));
        v128_t dh = wasm_i16x8_sub(wasm_i16x8_extend_high_i8x16(va), wasm_i16x8_extend_high_i8x16(vb));
        s = wasm_i32x4_add(s, wasm_i32x4_add(wasm_i32x4_dot_i16x8(dl, dl), wasm_i32x4_dot_i16x8(dh, dh)));
    }
    std::int32_t sum = hsum_i32(s);
    for (; i < n; ++i)
        sum += (std::int32_t(a[i]) - b[i]) * (std::int32_t(a[i]) - b[i]);
    return float(sum);
}

// ---- usearch's graph and slot -> vector table ----
// Navigating on compact vectors calls index_gt::search with our own metric, and re-ranking reads the f32
// vectors by slot; index_dense_gt keeps both members private. An explicit instantiation may name private
// members ([temp.explicit]), the standard way to take their member pointers without editing the header.
using graph_t = index_gt<distance_punned_t, std::uint64_t, std::uint32_t, aligned_allocator_gt<byte_t, 64>,
                         memory_mapping_allocator_gt<64>>;
using lookup_t = buffer_gt<byte_t*, aligned_allocator_gt<byte_t*, 64>>;
using free_ring_t = ring_gt<std::uint32_t>;
using member_cref_t = member_cref_gt<std::uint64_t>;

struct graph_tag {
    using type = graph_t* index_t::*;
    friend type member(graph_tag);
};
struct lookup_tag {
    using type = lookup_t index_t::*;
    friend type member(lookup_tag);
};
struct free_tag {
    using type = free_ring_t index_t::*;
    friend type member(free_tag);
};
template <typename tag_at, typename tag_at::type pointer_ak> struct expose_t {
    friend typename tag_at::type member(tag_at) { return pointer_ak; }
};
template struct expose_t<graph_tag, &index_t::typed_>;
template struct expose_t<lookup_tag, &index_t::vectors_lookup_>;
template struct expose_t<free_tag, &index_t::free_keys_>;

graph_t& graph() { return *(g_index.*member(graph_tag{})); }
byte_t const* stored_vector(std::size_t slot) { return (g_index.*member(lookup_tag{}))[slot]; }
free_ring_t& free_slots() { return g_index.*member(free_tag{}); }

/// Slots ever handed out, free ones included.
std::size_t slot_count() { return graph().size(); }
bool is_live(std::size_t slot) { return slot < slot_count() && graph().at(slot).key != g_index.free_key(); }

/// Frees a live slot the way index_dense_gt::remove does (its key becomes the free key, the slot joins the
/// ring that add() reuses first), without the hash set that remove() needs. Returns 1, 0 if not live, < 0.
int free_slot(std::size_t slot);

// ---- compact navigation for f32 indexes ----
// An i8 copy of every f32 vector (scaled to the full int8 range, one float factor per vector), kept beside
// usearch's index and never saved: the file keeps the f32 vectors, and the copy is rebuilt at load. A
// search walks the HNSW graph on the copy, a quarter of the bytes to read per distance, then re-ranks the
// head of the candidate list with exact f32 distances, which are the distances returned (like FAISS's
// refine).
struct compact_t {
    static constexpr std::size_t block_k = 1024; // vectors per block: growth never copies, slack < 1 block
    bool on = false;
    bool cosine = false, l2 = false;
    std::size_t dims = 0, stride = 0; // stride: dims rounded up to 16, zero padded
    std::int8_t** blocks = nullptr;   // each: block_k rows of stride bytes, then block_k factors, block_k norms
    std::size_t block_count = 0, block_slots = 0;
    std::int16_t* query = nullptr; // the query's codes, widened once
    float query_factor = 0, query_norm = 0;

    std::size_t block_bytes() const { return block_k * (stride + 2 * sizeof(float)); }
    std::int8_t* row(std::size_t slot) const { return blocks[slot / block_k] + (slot % block_k) * stride; }
    float* factor(std::size_t slot) const {
        return reinterpret_cast<float*>(blocks[slot / block_k] + block_k * stride) + slot % block_k;
    }
    float* norm(std::size_t slot) const { return factor(slot) + block_k; }
    std::size_t bytes() const {
        return block_count * block_bytes() + block_slots * sizeof(void*) + (query ? stride * 2 : 0);
    }

    void clear() {
        for (std::size_t i = 0; i != block_count; ++i)
            std::free(blocks[i]);
        std::free(blocks);
        std::free(query);
        blocks = nullptr;
        query = nullptr;
        block_count = block_slots = 0;
        on = false;
    }

    bool start(std::size_t n, metric_kind_t kind) {
        clear();
        dims = n;
        stride = (n + 15) / 16 * 16;
        cosine = kind == metric_kind_t::cos_k;
        l2 = kind == metric_kind_t::l2sq_k;
        query = static_cast<std::int16_t*>(std::aligned_alloc(16, stride * 2));
        if (!query)
            return false;
        on = true;
        return true;
    }

    bool ensure(std::size_t slots) {
        while (block_count * block_k < slots) {
            if (block_count == block_slots) {
                std::size_t grown = block_slots ? block_slots * 2 : 16;
                auto moved = static_cast<std::int8_t**>(std::realloc(blocks, grown * sizeof(void*)));
                if (!moved)
                    return false;
                blocks = moved;
                block_slots = grown;
            }
            auto block = static_cast<std::int8_t*>(std::aligned_alloc(16, block_bytes()));
            if (!block)
                return false;
            std::memset(block, 0, block_bytes());
            blocks[block_count++] = block;
        }
        return true;
    }

    // Codes round(x * 127 / max|x|); the factor turns a code dot product back into the dot product of the
    // vectors (of the unit vectors for cosine).
    template <typename out_at> float encode(float const* x, out_at* codes, float* norm_out) const {
        float top = 0, sum = 0;
        for (std::size_t i = 0; i != dims; ++i) {
            top = std::max(top, std::fabs(x[i]));
            sum += x[i] * x[i];
        }
        float scale = top > 0 ? 127.f / top : 0.f;
        for (std::size_t i = 0; i != dims; ++i)
            codes[i] = static_cast<out_at>(std::clamp(std::nearbyint(x[i] * scale), -127.f, 127.f));
        for (std::size_t i = dims; i != stride; ++i)
            codes[i] = 0;
        *norm_out = sum;
        float factor = top > 0 ? top / 127.f : 0.f;
        if (cosine)
            factor = sum > 0 ? factor / std::sqrt(sum) : 0.f;
        return factor;
    }

    void set(std::size_t slot, float const* vector) { *factor(slot) = encode(vector, row(slot), norm(slot)); }
    void set_query(float const* vector) { query_factor = encode(vector, query, &query_norm); }

    float distance(std::size_t slot) const {
        std::int8_t const* v = row(slot);
        v128_t s0 = wasm_i32x4_splat(0), s1 = s0;
        for (std::size_t i = 0; i != stride; i += 16) {
            v128_t codes = wasm_v128_load(v + i);
            s0 = wasm_i32x4_add(s0, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(codes), wasm_v128_load(query + i)));
            s1 = wasm_i32x4_add(s1,
                                wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(codes), wasm_v128_load(query + i + 8)));
        }
        float dot = float(hsum_i32(wasm_i32x4_add(s0, s1))) * query_factor * *factor(slot);
        return l2 ? query_norm + *norm(slot) - 2 * dot : 1.f - dot;
    }
};

compact_t g_compact;

// The metric index_gt::search calls with (query, member): the query is the one set in g_compact.
struct compact_metric_t {
    template <typename member_at> float operator()(byte_t const*, member_at const& member) const noexcept {
        return g_compact.distance(get_slot(member));
    }
};

// The k best (distance, then key) kept sorted in the caller's output arrays.
struct top_k_t {
    std::size_t wanted, count = 0;
    double* keys;
    float* distances;

    void offer(double key, float d) {
        if (count == wanted && !(d < distances[wanted - 1] || (d == distances[wanted - 1] && key < keys[wanted - 1])))
            return;
        std::size_t at = count < wanted ? count : wanted;
        while (at > 0 && (d < distances[at - 1] || (d == distances[at - 1] && key < keys[at - 1]))) {
            if (at < wanted) {
                keys[at] = keys[at - 1];
                distances[at] = distances[at - 1];
            }
            --at;
        }
        keys[at] = key;
        distances[at] = d;
        if (count < wanted)
            ++count;
    }
};

// Walks the graph on the compact copy for ef candidates (only keys `allowed` accepts), re-ranks them with
// the index's own f32 metric on the prepared query, keeps the best `wanted`. Returns the count, or < 0.
template <typename allowed_at>
int compact_search(float const* query, std::size_t wanted, allowed_at&& allowed, double* out_keys,
                   float* out_distances) {
    g_compact.set_query(query);
    index_search_config_t config;
    config.expansion = g_index.config().expansion_search;
    config.thread = 0;
    std::uint64_t free_key = g_index.free_key();
    auto accept = [&](member_cref_t const& m) noexcept { return m.key != free_key && allowed(m.key); };
    auto found = graph().search(reinterpret_cast<byte_t const*>(query), std::max(wanted, config.expansion),
                                compact_metric_t{}, config, accept);
    if (!found) {
        g_error = found.error.release();
        return usearch_failed_k;
    }
    metric_t const& metric = g_index.metric();
    top_k_t top{wanted, 0, out_keys, out_distances};
    byte_t const* q = reinterpret_cast<byte_t const*>(query);
    // The i8 order is close to the exact one, so only the head of the candidate list is re-ranked: at 100k
    // clustered 384-d vectors and k = 10, the best 32 of ef = 96 give the same recall as all 96.
    std::size_t rerank = std::min(found.count, std::max<std::size_t>(2 * wanted, 32));
    for (std::size_t i = 0; i != rerank; ++i) {
        auto match = found.at(i);
        top.offer(double(match.member.key), metric(stored_vector(match.member.slot), q));
    }
    return int(top.count);
}

metric_kind_t metric_kind_of(int metric) {
    switch (metric) {
    case 0: return metric_kind_t::cos_k;
    case 1: return metric_kind_t::ip_k;
    case 2: return metric_kind_t::l2sq_k;
    default: return metric_kind_t::unknown_k;
    }
}

scalar_kind_t scalar_kind_of(int scalar) {
    switch (scalar) {
    case 0: return scalar_kind_t::f32_k;
    case 1: return scalar_kind_t::f16_k;
    case 2: return scalar_kind_t::i8_k;
    default: return scalar_kind_t::unknown_k;
    }
}

// Our kernels where we have them, usearch's own otherwise (f16, and ip on i8 whose stored values are
// already unit-scaled by usearch's f32 -> i8 cast, so it is cosine by another name).
metric_t make_metric(std::size_t dims, metric_kind_t kind, scalar_kind_t scalar) {
    using sig = metric_punned_signature_t;
    auto custom = [&](float (*fn)(std::size_t, std::size_t, std::size_t)) {
        return metric_t::stateless(dims, reinterpret_cast<std::uintptr_t>(fn), sig::array_array_size_k, kind,
                                   scalar);
    };
    if (scalar == scalar_kind_t::f32_k) {
        if (kind == metric_kind_t::l2sq_k)
            return custom(&l2sq_f32);
        return custom(&ip_f32); // cos on unit vectors, and ip
    }
    if (scalar == scalar_kind_t::i8_k) {
        if (kind == metric_kind_t::l2sq_k)
            return custom(&l2sq_i8);
        return custom(&cos_i8);
    }
    return metric_t::builtin(dims, kind, scalar);
}

// A vector as handed to usearch: f32 or i8, after the preparation g_input asks for.
struct typed_t {
    scalar_kind_t kind;
    void const* data;
};

// usearch's f32 -> i8 cast scales by 127 / norm and truncates, so a 384-d unit vector's entries (about
// +-0.05) use only a few of the 255 levels. Cosine does not depend on scale, so we scale by 127 / max|x|
// and round: several times finer steps, same distances in the native addon (it computes full cosine too).
typed_t prepared(float const* vector) {
    switch (g_input) {
    case input_t::unit_f32: {
        float norm = std::sqrt(dot_f32(vector, vector, g_dims));
        float inv = norm > 0 ? 1.f / norm : 0.f;
        for (std::size_t i = 0; i != g_dims; ++i)
            g_unit[i] = vector[i] * inv;
        return {scalar_kind_t::f32_k, g_unit};
    }
    case input_t::scaled_i8: {
        float top = 0;
        for (std::size_t i = 0; i != g_dims; ++i)
            top = std::max(top, std::fabs(vector[i]));
        float scale = top > 0 ? 127.f / top : 0.f;
        for (std::size_t i = 0; i != g_dims; ++i)
            g_i8[i] = static_cast<std::int8_t>(std::clamp(std::nearbyint(vector[i] * scale), -127.f, 127.f));
        return {scalar_kind_t::i8_k, g_i8};
    }
    default: return {scalar_kind_t::f32_k, vector};
    }
}

// Calls fn with the prepared vector as the pointer type usearch overloads on.
template <typename fn_at> auto with_typed(typed_t v, fn_at&& fn) {
    if (v.kind == scalar_kind_t::i8_k)
        return fn(static_cast<i8_t const*>(v.data));
    return fn(static_cast<f32_t const*>(v.data));
}

int free_slot(std::size_t slot) {
    if (!is_live(slot))
        return 0;
    free_ring_t& ring = free_slots();
    if (!ring.reserve(ring.size() + 1))
        return out_of_memory_k;
    ring.push(static_cast<std::uint32_t>(slot));
    graph().at(slot).key = g_index.free_key();
    return 1;
}

/// What eg_export_keys writes for a free slot.
constexpr double no_slot_k = -1;

/// Slots cross as doubles; anything that is not a live slot's number is no slot.
std::size_t to_slot(double slot) {
    return slot >= 0 && slot < double(slot_count()) ? std::size_t(slot) : std::size_t(-1);
}

index_dense_config_t without_key_lookups(index_dense_config_t config) {
    config.enable_key_lookups = false;
    return config;
}

// The exact distance from a query to a stored vector: the query is cast to the stored type once.
struct exact_distance_t {
    scalar_kind_t scalar;
    void const* query;

    exact_distance_t(typed_t q) : scalar(g_index.metric().scalar_kind()), query(q.data) {
        if (q.kind == scalar)
            return;
        byte_t const* input = reinterpret_cast<byte_t const*>(q.data);
        byte_t* output = reinterpret_cast<byte_t*>(g_stored_query);
        if (casts_punned_t::make(scalar).from.f32(input, g_dims, output))
            query = g_stored_query;
    }

    float operator()(std::size_t slot) const {
        return g_index.metric()(stored_vector(slot), static_cast<byte_t const*>(query));
    }
};

bool ensure_capacity(std::size_t wanted) {
    if (wanted <= g_index.capacity())
        return true;
    std::size_t grown = std::max<std::size_t>(wanted, g_index.capacity() + g_index.capacity() / 2);
    return g_index.try_reserve(index_limits_t(std::max<std::size_t>(grown, 64), 1));
}

// `unit`: the stored cosine vectors are known to be unit length (written by us), so 1 - dot is exact.
int configure_after_load(bool unit) {
    metric_t const& loaded = g_index.metric();
    g_dims = loaded.dimensions();
    metric_kind_t kind = loaded.metric_kind();
    scalar_kind_t scalar = loaded.scalar_kind();
    if (kind != metric_kind_t::cos_k && kind != metric_kind_t::ip_k && kind != metric_kind_t::l2sq_k)
        return bad_bytes_k;
    if (scalar != scalar_kind_t::f32_k && scalar != scalar_kind_t::f16_k && scalar != scalar_kind_t::i8_k)
        return bad_bytes_k;
    // A file written elsewhere may hold cosine vectors that are not unit length: it keeps usearch's full
    // cosine, since our f32 kernel assumes unit length.
    bool foreign_cos = !unit && kind == metric_kind_t::cos_k && scalar == scalar_kind_t::f32_k;
    metric_t metric = foreign_cos ? metric_t::builtin(g_dims, kind, scalar) : make_metric(g_dims, kind, scalar);
    if (!g_index.try_change_metric(metric))
        return out_of_memory_k;
    if (scalar == scalar_kind_t::i8_k)
        g_input = kind == metric_kind_t::l2sq_k ? input_t::as_is : input_t::scaled_i8;
    else
        g_input = kind == metric_kind_t::cos_k ? input_t::unit_f32 : input_t::as_is;
    std::free(g_unit);
    std::free(g_stored_query);
    std::free(g_i8);
    g_unit = static_cast<float*>(std::aligned_alloc(16, g_dims * sizeof(float) + 16));
    g_stored_query = static_cast<unsigned char*>(std::aligned_alloc(16, g_dims * sizeof(float) + 16));
    g_i8 = static_cast<std::int8_t*>(std::aligned_alloc(16, g_dims + 16));
    if (!g_unit || !g_stored_query || !g_i8)
        return out_of_memory_k;
    g_ready = true;
    return ok_k;
}

} // namespace

#define EXPORT(name) extern "C" __attribute__((export_name(#name)))

/// A scratch area of at least `bytes` in linear memory; valid until the next call to eg_scratch.
EXPORT(eg_scratch) unsigned char* eg_scratch(std::size_t bytes) {
    if (bytes <= g_scratch_size)
        return g_scratch;
    std::free(g_scratch);
    g_scratch = static_cast<unsigned char*>(std::aligned_alloc(16, (bytes + 15) / 16 * 16));
    g_scratch_size = g_scratch ? bytes : 0;
    return g_scratch;
}

EXPORT(eg_error) char const* eg_error() { return g_error; }

EXPORT(eg_create)
int eg_create(int dims, int metric, int scalar, int connectivity, int expansion_add, int expansion_search) {
    metric_kind_t kind = metric_kind_of(metric);
    scalar_kind_t scalar_kind = scalar_kind_of(scalar);
    if (dims < 1 || kind == metric_kind_t::unknown_k || scalar_kind == scalar_kind_t::unknown_k || connectivity < 2 ||
        expansion_add < 1 || expansion_search < 1)
        return bad_arguments_k;
    index_dense_config_t config = without_key_lookups({});
    config.connectivity = static_cast<std::size_t>(connectivity);
    config.expansion_add = static_cast<std::size_t>(expansion_add);
    config.expansion_search = static_cast<std::size_t>(expansion_search);
    index_t::state_result_t made =
        index_t::make(make_metric(std::size_t(dims), kind, scalar_kind), config, default_free_value<std::uint64_t>(),
                      index_limits_t(0, 1));
    if (!made) {
        g_error = made.error.release();
        return usearch_failed_k;
    }
    g_compact.clear();
    g_index = std::move(made.index);
    return configure_after_load(true);
}

EXPORT(eg_dims) int eg_dims() { return int(g_dims); }
EXPORT(eg_metric) int eg_metric() {
    switch (g_index.metric().metric_kind()) {
    case metric_kind_t::cos_k: return 0;
    case metric_kind_t::ip_k: return 1;
    default: return 2;
    }
}
EXPORT(eg_scalar) int eg_scalar() {
    switch (g_index.metric().scalar_kind()) {
    case scalar_kind_t::f32_k: return 0;
    case scalar_kind_t::f16_k: return 1;
    default: return 2;
    }
}
EXPORT(eg_connectivity) int eg_connectivity() { return int(g_index.connectivity()); }
EXPORT(eg_expansion_add) int eg_expansion_add() { return int(g_index.config().expansion_add); }
EXPORT(eg_expansion_search) int eg_expansion_search() { return int(g_index.config().expansion_search); }
EXPORT(eg_change_expansion_search) void eg_change_expansion_search(int n) {
    if (n > 0)
        g_index.change_expansion_search(std::size_t(n));
}
EXPORT(eg_change_expansion_add) void eg_change_expansion_add(int n) {
    if (n > 0)
        g_index.change_expansion_add(std::size_t(n));
}
EXPORT(eg_size) double eg_size() { return g_ready ? double(g_index.size()) : 0; }
EXPORT(eg_memory_part) double eg_memory_part(int part);
/// Bytes the index holds in linear memory: the sum of the eg_memory_part parts.
EXPORT(eg_memory_usage) double eg_memory_usage() { return eg_memory_part(0) + eg_memory_part(1) + eg_memory_part(2); }
/// One part of eg_memory_usage: 0 the graph (nodes and their tape, the per-slot tables), 1 the vectors'
/// tape, 2 the compact copy used for navigation.
EXPORT(eg_memory_part) double eg_memory_part(int part) {
    if (!g_ready)
        return 0;
    index_t::memory_stats_t stats = g_index.memory_stats();
    switch (part) {
    case 0: {
        // usearch's own count (nodes, slot -> node table, search contexts, graph tape slack) leaves out the
        // slot -> vector pointers of index_dense_gt and its ring of free slots. (Its key -> slot hash set
        // is never filled: key lookups are off.)
        std::size_t capacity = g_index.capacity();
        std::size_t ring = free_slots().capacity() * sizeof(std::uint32_t);
        return double(g_index.memory_usage() - stats.vectors_allocated + capacity * sizeof(byte_t*) + ring);
    }
    case 1: return double(stats.vectors_allocated);
    default: return double(g_compact.bytes());
    }
}

/// Turns navigation on an i8 copy on (1) or off (0) for an f32 index; building the copy reads every
/// stored vector. Returns 1 if on afterwards, 0 if off, < 0 on failure.
EXPORT(eg_set_compact) int eg_set_compact(int on) {
    if (!g_ready)
        return not_created_k;
    if (!on || g_index.metric().scalar_kind() != scalar_kind_t::f32_k) {
        g_compact.clear();
        return on ? bad_arguments_k : 0;
    }
    if (g_compact.on)
        return 1;
    std::size_t slots = graph().size();
    if (!g_compact.start(g_dims, g_index.metric().metric_kind()) || !g_compact.ensure(slots)) {
        g_compact.clear();
        return out_of_memory_k;
    }
    for (std::size_t slot = 0; slot != slots; ++slot)
        g_compact.set(slot, reinterpret_cast<float const*>(stored_vector(slot)));
    return 1;
}
EXPORT(eg_compact) int eg_compact() { return g_compact.on ? 1 : 0; }

/// Adds `count` vectors (count * dims f32, row after row) and writes the slot each one got to `out_slots`.
/// A freed slot is reused first. The caller checks the input (finite values); on failure the vectors this
/// call added are freed again.
EXPORT(eg_add_many) int eg_add_many(int count, float const* vectors, double* out_slots) {
    if (!g_ready)
        return not_created_k;
    if (count < 0)
        return bad_arguments_k;
    if (!ensure_capacity(g_index.size() + std::size_t(count)))
        return out_of_memory_k;
    auto undo = [&](int added, int status) {
        for (int i = 0; i != added; ++i)
            free_slot(std::size_t(out_slots[i]));
        return status;
    };
    for (int i = 0; i != count; ++i) {
        // The key is set to the slot once usearch has picked one; free_key() would mark the node free.
        std::uint64_t placeholder = g_index.free_key() - 1;
        index_t::add_result_t added = with_typed(prepared(vectors + std::size_t(i) * g_dims),
                                                 [&](auto v) { return g_index.add(placeholder, v); });
        if (!added) {
            g_error = added.error.release();
            return undo(i, usearch_failed_k);
        }
        graph().at(added.slot).key = added.slot;
        out_slots[i] = double(added.slot);
        if (g_compact.on) {
            if (!g_compact.ensure(std::size_t(added.slot) + 1))
                return undo(i + 1, out_of_memory_k);
            g_compact.set(added.slot, reinterpret_cast<float const*>(stored_vector(added.slot)));
        }
    }
    return ok_k;
}

/// Frees `slot`: 1 if it was live, 0 if not, < 0 on failure.
EXPORT(eg_remove) int eg_remove(double slot) {
    if (!g_ready)
        return not_created_k;
    return free_slot(to_slot(slot));
}

/// Nearest `k` to `query`, their slots written to out_keys and distances to out_distances; returns how many.
/// With an allow-list (`allow_count` slots, sorted ascending) only those slots may come back: a small list
/// is scanned exactly, a large one filters the graph search through usearch's predicate. (A live node's key
/// is its slot, so usearch's keys are the slots.)
EXPORT(eg_search)
int eg_search(float const* query, int k, double const* allow, int allow_count, double* out_keys,
              float* out_distances) {
    if (!g_ready)
        return not_created_k;
    if (k < 1 || allow_count < -1)
        return bad_arguments_k;
    typed_t q = prepared(query);
    std::size_t wanted = std::size_t(k);
    if (allow_count < 0 && g_compact.on)
        return compact_search(static_cast<float const*>(q.data), wanted, [](std::uint64_t) { return true; }, out_keys,
                              out_distances);
    if (allow_count < 0) {
        index_t::search_result_t found = with_typed(q, [&](auto v) { return g_index.search(v, wanted); });
        if (!found) {
            g_error = found.error.release();
            return usearch_failed_k;
        }
        std::size_t n = found.size();
        for (std::size_t i = 0; i != n; ++i) {
            out_keys[i] = double(found[i].member.key);
            out_distances[i] = found[i].distance;
        }
        return int(n);
    }
    // Exact scan over the allowed keys when that costs less than a filtered walk of the graph, which
    // visits about (graph search cost) / (allowed share) nodes: allowed^2 <= 4096 * size.
    double allowed = double(allow_count), total = double(g_index.size());
    if (allowed * allowed <= 4096.0 * total) {
        exact_distance_t distance(q);
        top_k_t top{wanted, 0, out_keys, out_distances};
        for (int i = 0; i != allow_count; ++i) {
            std::size_t slot = to_slot(allow[i]);
            if (is_live(slot))
                top.offer(double(slot), distance(slot));
        }
        return int(top.count);
    }
    auto is_allowed = [allow, allow_count](std::uint64_t key) noexcept {
        return std::binary_search(allow, allow + allow_count, double(key));
    };
    if (g_compact.on)
        return compact_search(static_cast<float const*>(q.data), wanted, is_allowed, out_keys, out_distances);
    index_t::search_result_t found =
        with_typed(q, [&](auto v) { return g_index.filtered_search(v, wanted, is_allowed); });
    if (!found) {
        g_error = found.error.release();
        return usearch_failed_k;
    }
    std::size_t n = found.size();
    for (std::size_t i = 0; i != n; ++i) {
        out_keys[i] = double(found[i].member.key);
        out_distances[i] = found[i].distance;
    }
    return int(n);
}

/// Bytes needed by eg_save.
EXPORT(eg_serialized_length) double eg_serialized_length() { return g_ready ? double(g_index.serialized_length()) : 0; }

/// usearch streams its file a vector and a graph node at a time: two pieces per vector. Crossing to the
/// host for each costs far more than copying it (about a second at 100k vectors in Chromium), so both
/// directions go through a staging buffer and cross once per megabyte.
constexpr std::size_t stage_bytes_k = std::size_t(1) << 20;

struct staged_output_t {
    char* buffer = static_cast<char*>(std::malloc(stage_bytes_k));
    std::size_t used = 0;
    ~staged_output_t() { std::free(buffer); }

    bool flush() noexcept {
        bool ok = used == 0 || host_write(buffer, used) == 1;
        used = 0;
        return ok;
    }
    bool write(void const* data, std::size_t n) noexcept {
        if (used + n > stage_bytes_k && !flush())
            return false;
        if (n >= stage_bytes_k)
            return host_write(data, n) == 1;
        std::memcpy(buffer + used, data, n);
        used += n;
        return true;
    }
};

/// Reads ahead from the host, never past `left`, the bytes it holds.
struct staged_input_t {
    char* buffer = static_cast<char*>(std::malloc(stage_bytes_k));
    std::size_t at = 0, filled = 0, left = 0;
    ~staged_input_t() { std::free(buffer); }

    bool read(void* data, std::size_t n) noexcept {
        char* out = static_cast<char*>(data);
        while (n != 0) {
            if (at == filled) {
                if (n >= stage_bytes_k) { // a large piece goes straight through
                    if (n > left || host_read(out, n) != 1)
                        return false;
                    left -= n;
                    return true;
                }
                std::size_t want = left < stage_bytes_k ? left : stage_bytes_k;
                if (want == 0 || host_read(buffer, want) != 1)
                    return false;
                left -= want;
                at = 0;
                filled = want;
            }
            std::size_t take = filled - at < n ? filled - at : n;
            std::memcpy(out, buffer + at, take);
            at += take;
            out += take;
            n -= take;
        }
        return true;
    }
    bool drained() const noexcept { return at == filled && left == 0; }
};

/// Streams the index in usearch's own file format (what the native addon's save() writes) to the host.
EXPORT(eg_save) int eg_save() {
    if (!g_ready)
        return not_created_k;
    staged_output_t out;
    if (!out.buffer)
        return out_of_memory_k;
    serialization_result_t saved = g_index.save_to_stream([&](void const* data, std::size_t n) { return out.write(data, n); });
    if (!saved) {
        g_error = saved.error.release();
        return usearch_failed_k;
    }
    if (!out.flush()) {
        g_error = "the host refused the serialized bytes";
        return usearch_failed_k;
    }
    return ok_k;
}

/// Replaces this instance's index with one streamed from the host in usearch's file format, `length`
/// bytes; `unit` as in configure_after_load.
EXPORT(eg_load) int eg_load(int unit, double length) {
    g_ready = false;
    g_compact.clear();
    staged_input_t in;
    if (!in.buffer)
        return out_of_memory_k;
    in.left = std::size_t(length);
    // An index without key lookups to load into; the file sets its metric, sizes and graph.
    index_t::state_result_t made = index_t::make(metric_t::builtin(1, metric_kind_t::cos_k, scalar_kind_t::f32_k),
                                                 without_key_lookups({}), default_free_value<std::uint64_t>(),
                                                 index_limits_t(0, 1));
    if (!made) {
        g_error = made.error.release();
        return usearch_failed_k;
    }
    index_t loaded = std::move(made.index);
    serialization_result_t result = loaded.load_from_stream([&](void* data, std::size_t n) { return in.read(data, n); });
    if (!result) {
        g_error = result.error.release();
        return bad_bytes_k;
    }
    if (!in.drained()) {
        g_error = "trailing bytes after the index";
        return bad_bytes_k;
    }
    g_index = std::move(loaded);
    return configure_after_load(unit != 0);
}

/// Slots ever handed out (live and free): the length eg_export_keys writes.
EXPORT(eg_slot_count) double eg_slot_count() { return g_ready ? double(slot_count()) : 0; }

/// Writes each slot's key (no_slot_k for a free slot) to `out`: a loaded file may come from elsewhere, with
/// keys that are not its slots.
EXPORT(eg_export_keys) int eg_export_keys(double* out) {
    if (!g_ready)
        return not_created_k;
    std::size_t n = slot_count();
    for (std::size_t slot = 0; slot != n; ++slot)
        out[slot] = is_live(slot) ? double(graph().at(slot).key) : no_slot_k;
    return ok_k;
}

/// Makes every live node's key its slot (after loading a file whose keys were not).
EXPORT(eg_rekey) void eg_rekey() {
    if (!g_ready)
        return;
    for (std::size_t slot = 0, n = slot_count(); slot != n; ++slot)
        if (is_live(slot))
            graph().at(slot).key = slot;
}
