// The rows of model.Crop in C: crop.go's fillRowsGo, OpenCV's fixed-point bilinear sampling
// (1/32-pixel coordinates, integer weights, the result rounded to 8 bits). The interior, where
// all four neighbours are in the image, as a scalar loop and as AVX2 that does 8 tensor pixels
// at a time; the edges as crop.go's sampler.at, or, with a replicated border, as AVX2 on
// clamped coordinates. They give crop.go's values bit for bit; crop_test.go compares them with
// a per-pixel reference on random regions.

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

// blend fills out with the sample at fractions (fx, fy) between the pixels at p and p+3 of
// the upper row and at q and q+3 of the lower one.
static inline void blend(float *out, const uint8_t *p, const uint8_t *q, int fx, int fy, const float *lut) {
	out[0] = lut[lerp2(p[0], p[3], q[0], q[3], fx, fy)];
	out[1] = lut[lerp2(p[1], p[4], q[1], q[4], fx, fy)];
	out[2] = lut[lerp2(p[2], p[5], q[2], q[5], fx, fy)];
}

// span_scalar fills n tensor pixels from out on, as crop.go's interior.
static void span_scalar(float *out, const uint8_t *pix, int64_t stride, int64_t ax, int64_t dx,
		int64_t ay, int64_t dy, int64_t n, const float *lut) {
	for (int64_t k = 0; k < n; k++, ax += dx, ay += dy, out += 3) {
		// Interior coordinates are non-negative, so the shifts are floor divisions.
		int64_t x = ax >> FIXED_BITS, y = ay >> FIXED_BITS;
		const uint8_t *p = pix + (y >> INTER_BITS) * stride + (x >> INTER_BITS) * 3;
		blend(out, p, p + stride, (int)(x & INTER_MASK), (int)(y & INTER_MASK), lut);
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

// clamp64 limits the 64-bit lanes of v to [0, hi].
__attribute__((target("avx2"))) static inline __m256i clamp64(__m256i v, __m256i hi) {
	const __m256i zero = _mm256_setzero_si256();
	v = _mm256_blendv_epi8(v, zero, _mm256_cmpgt_epi64(zero, v));
	return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

// span_avx2 fills tensor pixels from out on in blocks of 8 while more than 8 are left and
// returns how many it filled. Each pixel's 4 values are stored at once, the 4th over the next
// pixel's first before that is written, so a block is only done where a pixel follows it.
//
// Without clamp every pixel must have its 2x2 neighbourhood in the image. With clamp, which is
// for a replicated border of an image of 2x2 to 32768x32768 pixels, pixels may lie anywhere:
// a coordinate X left of the image samples like X = 0 (its two neighbours are both pixel 0,
// blended to 32 times its value) and one right of the last pixel like ix = w-2 with fx = 32
// (both neighbours pixel w-1), which gives at's integers with neighbours that are in the image.
__attribute__((target("avx2"), always_inline)) static inline int64_t span_avx2_any(float *out,
		const uint8_t *pix, int64_t stride, int64_t ax, int64_t dx, int64_t ay, int64_t dy, int64_t n,
		float scale, float lo, int clamp, int64_t w, int64_t h) {
	// Pixel k's coordinates are ax + k*dx and ay + k*dy in 64 bits, as in crop.go. Every pixel
	// of the span is at a fixed-point coordinate in (-2^60, 2^60); with 9 pixels or more,
	// |8*dx| < 2^61, and no sum here overflows.
	if (n <= 8) {
		return 0;
	}
	// With clamp: X at most 32(w-1), and ix at most w-2; the same for y.
	const __m256i xhi = _mm256_set1_epi64x(clamp ? (32 * (w - 1)) << FIXED_BITS : 0);
	const __m256i yhi = _mm256_set1_epi64x(clamp ? (32 * (h - 1)) << FIXED_BITS : 0);
	const __m256i ixhi = _mm256_set1_epi32((int32_t)(w - 2)), iyhi = _mm256_set1_epi32((int32_t)(h - 2));
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
		__m256i cx03 = x03, cx47 = x47, cy03 = y03, cy47 = y47;
		if (clamp) {
			cx03 = clamp64(x03, xhi), cx47 = clamp64(x47, xhi);
			cy03 = clamp64(y03, yhi), cy47 = clamp64(y47, yhi);
		}
		// (v >> 40) is in [0, 2^20]: the low half of each 64-bit lane, or the high half of v >> 8.
		__m256i x = _mm256_blend_epi32(_mm256_srli_epi64(cx03, FIXED_BITS), _mm256_srli_epi64(cx47, FIXED_BITS - 32), 0xaa);
		__m256i y = _mm256_blend_epi32(_mm256_srli_epi64(cy03, FIXED_BITS), _mm256_srli_epi64(cy47, FIXED_BITS - 32), 0xaa);
		x03 = _mm256_add_epi64(x03, stepx);
		x47 = _mm256_add_epi64(x47, stepx);
		y03 = _mm256_add_epi64(y03, stepy);
		y47 = _mm256_add_epi64(y47, stepy);
		__m256i ix = _mm256_srli_epi32(x, INTER_BITS), iy = _mm256_srli_epi32(y, INTER_BITS);
		__m256i fx, fy;
		if (clamp) { // X = 32(w-1) becomes ix = w-2, fx = 32
			ix = _mm256_min_epi32(ix, ixhi), iy = _mm256_min_epi32(iy, iyhi);
			fx = _mm256_sub_epi32(x, _mm256_slli_epi32(ix, INTER_BITS));
			fy = _mm256_sub_epi32(y, _mm256_slli_epi32(iy, INTER_BITS));
		} else {
			fx = _mm256_and_si256(x, mask), fy = _mm256_and_si256(y, mask);
		}
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

// span_avx2 is span_avx2_any for interior pixels.
__attribute__((target("avx2"))) static int64_t span_avx2(float *out, const uint8_t *pix,
		int64_t stride, int64_t ax, int64_t dx, int64_t ay, int64_t dy, int64_t n, float scale,
		float lo) {
	return span_avx2_any(out, pix, stride, ax, dx, ay, dy, n, scale, lo, 0, 0, 0);
}

// span_avx2_clamp is span_avx2_any for pixels anywhere, with a replicated border, in a w x h
// image of 2x2 to 32768x32768 pixels.
__attribute__((target("avx2"))) static int64_t span_avx2_clamp(float *out, const uint8_t *pix,
		int64_t w, int64_t h, int64_t ax, int64_t dx, int64_t ay, int64_t dy, int64_t n, float scale,
		float lo) {
	return span_avx2_any(out, pix, 3 * w, ax, dx, ay, dy, n, scale, lo, 1, w, h);
}

// at is crop.go's sampler.at: the bilinear sample at (x, y) in 1/32 pixels, wherever it falls,
// into out through lut. Go's >> and & on negative integers are C's on GCC and Clang: an
// arithmetic shift and two's complement.
static void at(float *out, const uint8_t *pix, int64_t w, int64_t h, int zero, int64_t x, int64_t y,
		const float *lut) {
	int64_t ix = x >> INTER_BITS, iy = y >> INTER_BITS;
	int fx = (int)(x & INTER_MASK), fy = (int)(y & INTER_MASK);
	if ((uint64_t)ix < (uint64_t)(w - 1) && (uint64_t)iy < (uint64_t)(h - 1)) {
		const uint8_t *p = pix + (iy * w + ix) * 3;
		blend(out, p, p + 3 * w, fx, fy, lut);
		return;
	}
	if (zero && (ix >= w || ix + 1 < 0 || iy >= h || iy + 1 < 0)) {
		out[0] = out[1] = out[2] = lut[0]; // no neighbour in the image: the border value itself
		return;
	}
	uint8_t p[4][3] = {{0}}; // neighbours (ix,iy), (ix+1,iy), (ix,iy+1), (ix+1,iy+1)
	for (int k = 0; k < 4; k++) {
		int64_t nx = ix + (k & 1), ny = iy + (k >> 1);
		if (!zero) {
			nx = nx < 0 ? 0 : nx > w - 1 ? w - 1 : nx;
			ny = ny < 0 ? 0 : ny > h - 1 ? h - 1 : ny;
		} else if ((uint64_t)nx >= (uint64_t)w || (uint64_t)ny >= (uint64_t)h) {
			continue; // zero
		}
		const uint8_t *q = pix + (ny * w + nx) * 3;
		p[k][0] = q[0], p[k][1] = q[1], p[k][2] = q[2];
	}
	for (int c = 0; c < 3; c++) {
		out[c] = lut[lerp2(p[0][c], p[1][c], p[2][c], p[3][c], fx, fy)];
	}
}

// edge fills tensor pixels [k, end) of a row, which are not in its interior, through at, or
// black outside [z0, z1); with avx2 set, a replicated border's through span_avx2_clamp.
static void edge(float *row, const uint8_t *pix, int64_t w, int64_t h, int zero, const crop_row *r,
		int64_t k, int64_t end, int64_t dx, int64_t dy, const float *lut, float scale, float lo,
		int avx2) {
	if (avx2 && !zero && w >= 2 && h >= 2 && w <= 32768 && h <= 32768) {
		k += span_avx2_clamp(row + 3 * k, pix, w, h, r->ax + k * dx, dx, r->ay + k * dy, dy, end - k, scale, lo);
	}
	for (; k < end; k++) {
		float *out = row + 3 * k;
		if (k < r->z0 || k >= r->z1) {
			out[0] = out[1] = out[2] = lut[0];
			continue;
		}
		at(out, pix, w, h, zero, (r->ax + k * dx) >> FIXED_BITS, (r->ay + k * dy) >> FIXED_BITS, lut);
	}
}

void crop_rows(float *dst, const uint8_t *pix, int64_t w, int64_t h, int zero, const crop_row *rows,
		int64_t nrows, int64_t n, int64_t dx, int64_t dy, const float *lut, float scale, float lo,
		int avx2) {
	const int64_t stride = 3 * w;
	for (int64_t i = 0; i < nrows; i++) {
		const crop_row *r = &rows[i];
		float *row = dst + 3 * r->first;
		edge(row, pix, w, h, zero, r, 0, r->k0, dx, dy, lut, scale, lo, avx2);
		int64_t k = r->k0;
		if (avx2) {
			k += span_avx2(row + 3 * k, pix, stride, r->ax + k * dx, dx, r->ay + k * dy, dy, r->k1 - k, scale, lo);
		}
		span_scalar(row + 3 * k, pix, stride, r->ax + k * dx, dx, r->ay + k * dy, dy, r->k1 - k, lut);
		edge(row, pix, w, h, zero, r, r->k1, n, dx, dy, lut, scale, lo, avx2);
	}
}

int crop_have_avx2(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") != 0;
}
