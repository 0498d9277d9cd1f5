/* varint.h - protobuf's base-128 varints (7 bits a byte, low group first) in memory, for the
 * codecs that walk bytes themselves: the Event decoder and encoder, the checkpoint reader's
 * field scan and the zero-run coding. */
#ifndef RL_VARINT_H
#define RL_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define RL_VARINT_MAX_LEN 10

/* The varint at p[*pos], at most len bytes in all: 0 and *pos past it, or -1 when it runs past
 * len or over 10 bytes. */
static inline int rl_varint_get(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* v into out (RL_VARINT_MAX_LEN bytes of room); returns the bytes used. */
static inline size_t rl_varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        out[n++] = v ? (uint8_t)(b | 0x80) : b;
    } while (v);
    return n;
}

/* The bytes rl_varint_put uses for v. */
static inline size_t rl_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

#endif
