// engram's arena ("tape") allocator for usearch's graph nodes and vectors, as explicit specializations of
// usearch's memory_mapping_allocator_gt, so index_dense_gt picks them up without a patched header.
//
// usearch's own tape doubles every arena (4 MB, 8, 16 ... 128 MB), so up to half of what it takes is never
// used; in wasm that is linear memory the instance keeps for good. Here a new arena is an eighth of what is
// already taken (between 256 KiB and 4 MiB), so the unused tail stays under an eighth and at most 4 MiB.
// Graph nodes are 8-byte aligned instead of 64: a level-0 node at connectivity 16 is 142 bytes, which
// 64-byte alignment rounds to 192. usearch reads node fields with unaligned loads, and wasm has no
// alignment faults, so only the padding changes.
//
// The semantics follow usearch's class: deallocate() releases everything (usearch calls it only to clear),
// a copy is empty, a move takes the arenas over.
#pragma once
#include <cstdlib>
#include <cstring>

namespace unum {
namespace usearch {

template <std::size_t alignment_ak> class engram_tape_gt {
    static constexpr std::size_t alignment_k = alignment_ak;
    static constexpr std::size_t head_k = 16; // previous arena, this arena's size
    static constexpr std::size_t min_arena_k = 256 * 1024;
    static constexpr std::size_t max_step_k = 4 * 1024 * 1024;

    byte_t* last_arena_ = nullptr;
    std::size_t last_usage_ = 0;
    std::size_t last_capacity_ = 0;
    std::size_t wasted_ = 0;
    std::size_t allocated_ = 0;

  public:
    engram_tape_gt() noexcept = default;
    engram_tape_gt(engram_tape_gt const&) noexcept {}
    engram_tape_gt& operator=(engram_tape_gt const&) noexcept {
        reset();
        return *this;
    }
    engram_tape_gt(engram_tape_gt&& other) noexcept { swap(other); }
    engram_tape_gt& operator=(engram_tape_gt&& other) noexcept {
        swap(other);
        return *this;
    }
    ~engram_tape_gt() noexcept { reset(); }

    void swap(engram_tape_gt& other) noexcept {
        std::swap(last_arena_, other.last_arena_);
        std::swap(last_usage_, other.last_usage_);
        std::swap(last_capacity_, other.last_capacity_);
        std::swap(wasted_, other.wasted_);
        std::swap(allocated_, other.allocated_);
    }

    void reset() noexcept {
        while (last_arena_) {
            byte_t* previous = nullptr;
            std::memcpy(&previous, last_arena_, sizeof(previous));
            std::free(last_arena_);
            last_arena_ = previous;
        }
        last_usage_ = last_capacity_ = wasted_ = allocated_ = 0;
    }

    byte_t* allocate(std::size_t bytes) noexcept {
        std::size_t rounded = (bytes + alignment_k - 1) / alignment_k * alignment_k;
        if (rounded < bytes)
            return nullptr;
        if (!last_arena_ || rounded > last_capacity_ - last_usage_) {
            std::size_t step = allocated_ / 8;
            step = step < min_arena_k ? min_arena_k : step > max_step_k ? max_step_k : step;
            std::size_t wanted = rounded + head_k;
            if (wanted < rounded)
                return nullptr;
            std::size_t capacity = wanted > step ? wanted : step;
            capacity = (capacity + 65535) / 65536 * 65536;
            byte_t* arena = static_cast<byte_t*>(std::aligned_alloc(64, capacity));
            if (!arena)
                return nullptr;
            std::memcpy(arena, &last_arena_, sizeof(last_arena_));
            std::memcpy(arena + sizeof(last_arena_), &capacity, sizeof(capacity));
            wasted_ += total_reserved();
            last_arena_ = arena;
            last_capacity_ = capacity;
            last_usage_ = head_k;
            allocated_ += capacity;
        }
        wasted_ += rounded - bytes;
        byte_t* out = last_arena_ + last_usage_;
        last_usage_ += rounded;
        return out;
    }

    void deallocate(byte_t* = nullptr, std::size_t = 0) noexcept { reset(); }

    std::size_t total_allocated() const noexcept { return allocated_; }
    std::size_t total_wasted() const noexcept { return wasted_; }
    std::size_t total_reserved() const noexcept { return last_arena_ ? last_capacity_ - last_usage_ : 0; }
};

template <> class memory_mapping_allocator_gt<64> : public engram_tape_gt<8> {
  public:
    using value_type = byte_t;
    using size_type = std::size_t;
    using pointer = byte_t*;
    using const_pointer = byte_t const*;
};

template <> class memory_mapping_allocator_gt<8> : public engram_tape_gt<8> {
  public:
    using value_type = byte_t;
    using size_type = std::size_t;
    using pointer = byte_t*;
    using const_pointer = byte_t const*;
};

} // namespace usearch
} // namespace unum
