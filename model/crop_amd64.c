// The interior runs of model.Crop in C: crop.go's interior, OpenCV's fixed-point bilinear
// sampling (1/32-pixel coordinates, integer weights, the result rounded to 8 bits), as a scalar
// loop and as AVX2 that does 8 tensor pixels at a time. Both give crop.go's values bit for bit;
// crop_test.go compares them with the Go loop on random regions.

#include "crop.h"

#include <immintrin.h>

enum {
	FIXED_BITS = 40, // crop.go's fixedBits: fractional bits below the 1/32 pixel
	INTER_BITS = 5,  // crop.go's interBits: 32 sub-pixel positions
	INTER_MASK = (1 << INTER_BITS) - 1,
};

// lerp2 is crop.go's lerp2: the four neighbours blended with weights from the fractions fx and
// fy in 1/32, rounded half up to 8 bits. The sum is at most 32*32*255 + 512, so int suffices.
static inline uint8_t lerp2(int v00, int v01, int v10, int v11, int fx, int fy) {
	int top = (v00 << INTER_BITS) + (v01 - v00) * fx;
	int bot = (v10 << INTER_BITS) + (v11 - v10) * fx;
	return (uint8_t)(((top << INTER_BITS) + (bot - top) * fy + 512) >> 10);
}

// span_scalar fills n tensor pixels from out on, as crop.go's interior.
static void span_scalar(float *out, const uint8_t *pix, int64_t stride, int64_t ax, int64_t dx,
		int64_t ay, int64_t dy, int64_t n, const float *lut) {
	for (int64_t k = 0; k < n; k++, ax += dx, ay += dy, out += 3) {
		// Interior coordinates are non-negative, so the shifts are floor divisions.
		int64_t x = ax >> FIXED_BITS, y = ay >> FIXED_BITS;
		int fx = (int)(x & INTER_MASK), fy = (int)(y & INTER_MASK);
		const uint8_t *p = pix + (y >> INTER_BITS) * stride + (x >> INTER_BITS) * 3;
		const uint8_t *q = p + stride;
		out[0] = lut[lerp2(p[0], p[3], q[0], q[3], fx, fy)];
		out[1] = lut[lerp2(p[1], p[4], q[1], q[4], fx, fy)];
		out[2] = lut[lerp2(p[2], p[5], q[2], q[5], fx, fy)];
	}
}

// The AVX2 loop works on blocks of 8 tensor pixels. For each pixel it gathers 8 bytes from the
// upper source row, starting at the pixel's left neighbour (its 6 bytes, then 2 more of the same
// row or the next), and 8 bytes from the lower row ending at the right neighbour (2 bytes
// before, then its 6): both stay inside the image wherever the neighbourhood does. A shuffle
// pairs each channel's left and right bytes, _mm256_maddubs_epi16 blends them horizontally
// with the byte weights (32-fx, fx) into 16 bits, and _mm256_madd_epi16 blends the upper and
// lower results vertically with (32-fy, fy) into 32 bits: lerp2's integers, computed as the
// same sums of products. Each pixel ends up as R, G, B and a spare lane in 128 bits.
//
// The coordinates of the 8 pixels come out of two vectors of four 64-bit values as 32-bit
// lanes in the order 0 4 1 5 2 6 3 7; the gathers take lanes 0-3 (pixels 0 4 1 5) and 4-7
// (2 6 3 7), as two 64-bit values in each 128-bit half.

// to_float maps 8-bit results v to (float)v*scale + lo, two roundings to float32 as crop.go
// builds its lut. The empty asm keeps the compiler from fusing the multiply and the add into an
// FMA (as GCC may where the target has FMA, under -march=native say), which rounds once.
__attribute__((target("avx2"))) static inline __m256 to_float(__m256i v, __m256 scale, __m256 lo) {
	__m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(v), scale);
	__asm__("" : "+x"(f));
	return _mm256_add_ps(f, lo);
}

// span_avx2 fills tensor pixels from out on in blocks of 8 while more than 8 are left and
// returns how many it filled. Each pixel's 4 values are stored at once, the 4th over the next
// pixel's first before that is written, so a block is only done where a pixel follows it.
__attribute__((target("avx2"))) static int64_t span_avx2(float *out, const uint8_t *pix,
		int64_t stride, int64_t ax, int64_t dx, int64_t ay, int64_t dy, int64_t n, float scale,
		float lo) {
	// Pixel k's coordinates are ax + k*dx and ay + k*dy in 64 bits, as in crop.go. Every pixel
	// of the span is inside the image, at a fixed-point coordinate in [0, 2^60); with 9 pixels
	// or more, |8*dx| < 2^60 too, and no sum here overflows.
	if (n <= 8) {
		return 0;
	}
	__m256i x03 = _mm256_add_epi64(_mm256_set1_epi64x(ax), _mm256_setr_epi64x(0, dx, 2 * dx, 3 * dx));
	__m256i y03 = _mm256_add_epi64(_mm256_set1_epi64x(ay), _mm256_setr_epi64x(0, dy, 2 * dy, 3 * dy));
	__m256i x47 = _mm256_add_epi64(x03, _mm256_set1_epi64x(4 * dx));
	__m256i y47 = _mm256_add_epi64(y03, _mm256_set1_epi64x(4 * dy));
	const __m256i stepx = _mm256_set1_epi64x(8 * dx), stepy = _mm256_set1_epi64x(8 * dy);
	const __m256i mask = _mm256_set1_epi32(INTER_MASK), one = _mm256_set1_epi32(1 << INTER_BITS);
	const __m256i rows = _mm256_set1_epi32((int32_t)stride), half = _mm256_set1_epi32(512);
	// Left and right bytes of R, G, B side by side, then a zero pair; upper and lower row.
	const __m256i pairu = _mm256_setr_epi8(0, 3, 1, 4, 2, 5, -1, -1, 8, 11, 9, 12, 10, 13, -1, -1,
			0, 3, 1, 4, 2, 5, -1, -1, 8, 11, 9, 12, 10, 13, -1, -1);
	const __m256i pairl = _mm256_setr_epi8(2, 5, 3, 6, 4, 7, -1, -1, 10, 13, 11, 14, 12, 15, -1, -1,
			2, 5, 3, 6, 4, 7, -1, -1, 10, 13, 11, 14, 12, 15, -1, -1);
	// A 32-bit lane into both halves of a 64-bit value: lanes 0-3, 4-7.
	const __m256i spread03 = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
	const __m256i spread47 = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
	// Pixels 0|1, 4|5, 2|3, 6|7: their lanes, each over a 128-bit half.
	const __m256i px01 = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2);
	const __m256i px45 = _mm256_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3);
	const __m256i px23 = _mm256_setr_epi32(4, 4, 4, 4, 6, 6, 6, 6);
	const __m256i px67 = _mm256_setr_epi32(5, 5, 5, 5, 7, 7, 7, 7);
	const __m256 vscale = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo);
	const long long *upper = (const long long *)pix, *lower = (const long long *)(pix + stride - 2);
	int64_t k = 0;
	for (; k + 8 < n; k += 8, out += 24) {
		// (v >> 40) is below 2^20: the low half of each 64-bit lane, or the high half of v >> 8.
		__m256i x = _mm256_blend_epi32(_mm256_srli_epi64(x03, FIXED_BITS), _mm256_srli_epi64(x47, FIXED_BITS - 32), 0xaa);
		__m256i y = _mm256_blend_epi32(_mm256_srli_epi64(y03, FIXED_BITS), _mm256_srli_epi64(y47, FIXED_BITS - 32), 0xaa);
		x03 = _mm256_add_epi64(x03, stepx);
		x47 = _mm256_add_epi64(x47, stepx);
		y03 = _mm256_add_epi64(y03, stepy);
		y47 = _mm256_add_epi64(y47, stepy);
		__m256i fx = _mm256_and_si256(x, mask), fy = _mm256_and_si256(y, mask);
		__m256i ix = _mm256_srli_epi32(x, INTER_BITS), iy = _mm256_srli_epi32(y, INTER_BITS);
		__m256i off = _mm256_add_epi32(_mm256_mullo_epi32(iy, rows), _mm256_add_epi32(ix, _mm256_add_epi32(ix, ix)));
		// Bytes (32-fx, fx) four times in 64 bits for maddubs (unsigned pixel bytes times
		// signed weights, at most 32*255 a pair); 16-bit (32-fy, fy) for madd.
		__m256i wx = _mm256_add_epi32(_mm256_sub_epi32(_mm256_slli_epi32(fx, 8), fx), one);
		wx = _mm256_or_si256(wx, _mm256_slli_epi32(wx, 16));
		__m256i wy = _mm256_or_si256(_mm256_sub_epi32(one, fy), _mm256_slli_epi32(fy, 16));
		__m256i wx03 = _mm256_permutevar8x32_epi32(wx, spread03);
		__m256i wx47 = _mm256_permutevar8x32_epi32(wx, spread47);
		__m128i off03 = _mm256_castsi256_si128(off), off47 = _mm256_extracti128_si256(off, 1);
		// Pixels 0 4 | 1 5, then 2 6 | 3 7: their horizontal blends, upper and lower.
		__m256i ua = _mm256_maddubs_epi16(_mm256_shuffle_epi8(_mm256_i32gather_epi64(upper, off03, 1), pairu), wx03);
		__m256i la = _mm256_maddubs_epi16(_mm256_shuffle_epi8(_mm256_i32gather_epi64(lower, off03, 1), pairl), wx03);
		__m256i ub = _mm256_maddubs_epi16(_mm256_shuffle_epi8(_mm256_i32gather_epi64(upper, off47, 1), pairu), wx47);
		__m256i lb = _mm256_maddubs_epi16(_mm256_shuffle_epi8(_mm256_i32gather_epi64(lower, off47, 1), pairl), wx47);
		// Interleaved upper and lower 16-bit values, blended vertically and rounded.
		__m256i v01 = _mm256_madd_epi16(_mm256_unpacklo_epi16(ua, la), _mm256_permutevar8x32_epi32(wy, px01));
		__m256i v45 = _mm256_madd_epi16(_mm256_unpackhi_epi16(ua, la), _mm256_permutevar8x32_epi32(wy, px45));
		__m256i v23 = _mm256_madd_epi16(_mm256_unpacklo_epi16(ub, lb), _mm256_permutevar8x32_epi32(wy, px23));
		__m256i v67 = _mm256_madd_epi16(_mm256_unpackhi_epi16(ub, lb), _mm256_permutevar8x32_epi32(wy, px67));
		__m256 f01 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v01, half), 10), vscale, vlo);
		__m256 f23 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v23, half), 10), vscale, vlo);
		__m256 f45 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v45, half), 10), vscale, vlo);
		__m256 f67 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v67, half), 10), vscale, vlo);
		// In pixel order: each store's spare lane is overwritten by the next.
		_mm_storeu_ps(out + 0, _mm256_castps256_ps128(f01));
		_mm_storeu_ps(out + 3, _mm256_extractf128_ps(f01, 1));
		_mm_storeu_ps(out + 6, _mm256_castps256_ps128(f23));
		_mm_storeu_ps(out + 9, _mm256_extractf128_ps(f23, 1));
		_mm_storeu_ps(out + 12, _mm256_castps256_ps128(f45));
		_mm_storeu_ps(out + 15, _mm256_extractf128_ps(f45, 1));
		_mm_storeu_ps(out + 18, _mm256_castps256_ps128(f67));
		_mm_storeu_ps(out + 21, _mm256_extractf128_ps(f67, 1));
	}
	return k;
}

void crop_spans(float *dst, const uint8_t *pix, int64_t stride, const crop_span *spans,
		int64_t nspans, int64_t dx, int64_t dy, const float *lut, float scale, float lo,
		int avx2) {
	for (int64_t i = 0; i < nspans; i++) {
		const crop_span *s = &spans[i];
		float *out = dst + 3 * s->first;
		int64_t k = 0;
		if (avx2) {
			k = span_avx2(out, pix, stride, s->ax, dx, s->ay, dy, s->n, scale, lo);
		}
		span_scalar(out + 3 * k, pix, stride, s->ax + k * dx, dx, s->ay + k * dy, dy, s->n - k, lut);
	}
}

int crop_have_avx2(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") != 0;
}
