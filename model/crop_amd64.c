// model.Crop in C: crop.go's fillGo. Each tensor pixel's source coordinates as OpenCV's
// warpPerspective computes them (warp_coords), then OpenCV's fixed-point bilinear sampling
// (1/32-pixel coordinates, integer weights, the result rounded to 8 bits), as a scalar loop and
// as AVX2 that does 8 tensor pixels at a time. They give crop.go's values bit for bit;
// crop_test.go compares them with the Go code on random regions.

#include "crop.h"

// No multiply and add may be fused into one rounding, whatever the target: the coordinates must
// be OpenCV's, operation for operation (_mm256_fmadd_ps in to_float is explicit and stays).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <emmintrin.h>
#include <immintrin.h>
#include <limits.h>

enum {
	INTER_BITS = 5, // crop.go's interBits: 32 sub-pixel positions
	INTER_MASK = (1 << INTER_BITS) - 1,
	MAX_COORD = 32767 * 32, // crop.go's maxCoord
	MAX_BLOCK = 1024,
};

// round_coord is crop.go's roundCoord: OpenCV's clamp to the int range (a NaN becomes INT_MAX),
// cvRound (the SSE2 conversion, nearest even), bounded by MAX_COORD.
static inline int32_t round_coord(double v) {
	v = v < (double)INT_MAX ? v : (double)INT_MAX;
	v = (double)INT_MIN < v ? v : (double)INT_MIN;
	int32_t r = _mm_cvtsd_si32(_mm_set_sd(v));
	return r < -MAX_COORD ? -MAX_COORD : r > MAX_COORD ? MAX_COORD : r;
}

// warp_coords_tail is crop.go's warp.coords for pixels k to n-1 of the n pixels of row j from
// column x0 on, in the block that x0 starts, each operation in OpenCV's order. It is compiled for the
// baseline x86-64, which has no fused multiply-add for the compiler to contract a*b + c into.
static void warp_coords_tail(const double *m, int64_t block, int64_t j, int64_t x0, int64_t k, int64_t n,
		int32_t *xs, int32_t *ys) {
	const int64_t bx = x0 - x0 % block;
	const double fb = (double)bx, fj = (double)j;
	const double X0 = m[0] * fb + m[1] * fj + m[2];
	const double Y0 = m[3] * fb + m[4] * fj + m[5];
	const double W0 = m[6] * fb + m[7] * fj + m[8];
	for (; k < n; k++) {
		const double x1 = (double)(x0 - bx + k);
		double W = W0 + m[6] * x1;
		W = W != 0 ? 32 / W : 0;
		xs[k] = round_coord((X0 + m[0] * x1) * W);
		ys[k] = round_coord((Y0 + m[3] * x1) * W);
	}
}

static void warp_coords(const double *m, int64_t block, int64_t j, int64_t x0, int64_t n, int32_t *xs,
		int32_t *ys) {
	warp_coords_tail(m, block, j, x0, 0, n, xs, ys);
}

// warp_coords_avx2 is warp_coords 4 pixels at a time: the same double operations, each
// rounded as the scalar one is, and the same conversion to nearest even. It is compiled for AVX2
// without FMA, so the compiler cannot contract a multiply and an add, scalar or vector, into a
// fused multiply-add (it would, in a function that may use FMA: a coordinate off by one 1/32 at
// a rounding tie).
__attribute__((target("avx2"))) static void warp_coords_avx2(const double *m, int64_t block, int64_t j,
		int64_t x0, int64_t n, int32_t *xs, int32_t *ys) {
	const int64_t bx = x0 - x0 % block;
	const double fb = (double)bx, fj = (double)j;
	const __m256d X0 = _mm256_set1_pd(m[0] * fb + m[1] * fj + m[2]);
	const __m256d Y0 = _mm256_set1_pd(m[3] * fb + m[4] * fj + m[5]);
	const __m256d W0 = _mm256_set1_pd(m[6] * fb + m[7] * fj + m[8]);
	const __m256d m0 = _mm256_set1_pd(m[0]), m3 = _mm256_set1_pd(m[3]), m6 = _mm256_set1_pd(m[6]);
	const __m256d scale = _mm256_set1_pd(32), zero = _mm256_setzero_pd(), four = _mm256_set1_pd(4);
	const __m256d imax = _mm256_set1_pd((double)INT_MAX), imin = _mm256_set1_pd((double)INT_MIN);
	const __m128i cmax = _mm_set1_epi32(MAX_COORD), cmin = _mm_set1_epi32(-MAX_COORD);
	__m256d x1 = _mm256_setr_pd((double)(x0 - bx), (double)(x0 - bx + 1), (double)(x0 - bx + 2), (double)(x0 - bx + 3));
	int64_t k = 0;
	for (; k + 4 <= n; k += 4, x1 = _mm256_add_pd(x1, four)) {
		__m256d W = _mm256_add_pd(W0, _mm256_mul_pd(m6, x1));
		W = _mm256_andnot_pd(_mm256_cmp_pd(W, zero, _CMP_EQ_OQ), _mm256_div_pd(scale, W));
		// min(v, INT_MAX) keeps the second operand for a NaN, as std::min(INT_MAX, v) does.
		__m256d fx = _mm256_max_pd(_mm256_min_pd(_mm256_mul_pd(_mm256_add_pd(X0, _mm256_mul_pd(m0, x1)), W), imax), imin);
		__m256d fy = _mm256_max_pd(_mm256_min_pd(_mm256_mul_pd(_mm256_add_pd(Y0, _mm256_mul_pd(m3, x1)), W), imax), imin);
		__m128i ix = _mm_max_epi32(_mm_min_epi32(_mm256_cvtpd_epi32(fx), cmax), cmin);
		__m128i iy = _mm_max_epi32(_mm_min_epi32(_mm256_cvtpd_epi32(fy), cmax), cmin);
		_mm_storeu_si128((__m128i *)(xs + k), ix);
		_mm_storeu_si128((__m128i *)(ys + k), iy);
	}
	if (k < n) {
		warp_coords_tail(m, block, j, x0, k, n, xs, ys);
	}
}

// lerp2 is crop.go's lerp2: the four neighbours blended with weights from the fractions fx and
// fy in 1/32, rounded half up to 8 bits. The sum is at most 32*32*255 + 512, so int suffices.
static inline uint8_t lerp2(int v00, int v01, int v10, int v11, int fx, int fy) {
	int top = (v00 << INTER_BITS) + (v01 - v00) * fx;
	int bot = (v10 << INTER_BITS) + (v11 - v10) * fx;
	return (uint8_t)(((top << INTER_BITS) + (bot - top) * fy + 512) >> 10);
}

// at is crop.go's sampler.at: the bilinear sample at (x, y) in 1/32 pixels, wherever it falls,
// into out through lut. Go's >> and & on negative integers are C's on GCC and Clang: an
// arithmetic shift and two's complement.
static void at(float *out, const uint8_t *pix, int64_t w, int64_t h, int zero, int64_t x, int64_t y,
		const float *lut) {
	int64_t ix = x >> INTER_BITS, iy = y >> INTER_BITS;
	int fx = (int)(x & INTER_MASK), fy = (int)(y & INTER_MASK);
	if ((uint64_t)ix < (uint64_t)(w - 1) && (uint64_t)iy < (uint64_t)(h - 1)) {
		const uint8_t *p = pix + (iy * w + ix) * 3, *q = p + 3 * w;
		for (int c = 0; c < 3; c++) {
			out[c] = lut[lerp2(p[c], p[c + 3], q[c], q[c + 3], fx, fy)];
		}
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

// The AVX2 loop works on blocks of 8 tensor pixels. For each pixel it gathers 8 bytes from the
// upper source row, starting at the pixel's left neighbour (its 6 bytes, then 2 more of the same
// row or the next), and 8 bytes from the lower row ending at the right neighbour (2 bytes
// before, then its 6): both stay inside the image wherever the neighbourhood does. A shuffle
// pairs each channel's left and right bytes, _mm256_maddubs_epi16 blends them horizontally
// with the byte weights (32-fx, fx) into 16 bits, and _mm256_madd_epi16 blends the upper and
// lower results vertically with (32-fy, fy) into 32 bits: lerp2's integers, computed as the
// same sums of products. Each pixel ends up as R, G, B and a spare lane in 128 bits, which
// to_float turns into floats.
//
// The coordinates of the 8 pixels are permuted into 32-bit lanes in the order 0 4 1 5 2 6 3 7;
// the gathers take lanes 0-3 (pixels 0 4 1 5) and 4-7 (2 6 3 7), as two 64-bit values in each
// 128-bit half.

// to_float maps 8-bit results v to v*scale + lo rounded once, with the fused multiply-add that
// OpenCV's convertTo runs: crop.go's lut, computed.
__attribute__((target("avx2,fma"))) static inline __m256 to_float(__m256i v, __m256 scale, __m256 lo) {
	return _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), scale, lo);
}

// block8 fills the 8 tensor pixels from out on whose coordinates are xs[0:8], ys[0:8]. Each
// pixel's 4 values are stored at once, the 4th over the next pixel's first before that is
// written, so it is only called where a pixel follows. Without clamp every pixel must have its
// 2x2 neighbourhood in the image. With clamp, which is for a replicated border of an image of
// 2x2 to 32768x32768 pixels, pixels may lie anywhere: a coordinate X left of the image samples
// like X = 0 (its two neighbours are both pixel 0, blended to 32 times its value) and one right
// of the last pixel like ix = w-2 with fx = 32 (both neighbours pixel w-1), which gives at's
// integers with neighbours that are in the image.
__attribute__((target("avx2,fma"), always_inline)) static inline void block8(float *out, const uint8_t *pix,
		int64_t stride, const int32_t *xs, const int32_t *ys, int clamp, int64_t w, int64_t h,
		__m256 scale, __m256 lo) {
	const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
	__m256i x = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)xs), order);
	__m256i y = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)ys), order);
	const __m256i mask = _mm256_set1_epi32(INTER_MASK), one = _mm256_set1_epi32(1 << INTER_BITS);
	const __m256i rows = _mm256_set1_epi32((int32_t)stride), half = _mm256_set1_epi32(512);
	__m256i ix, iy, fx, fy;
	if (clamp) { // X = 32(w-1) becomes ix = w-2, fx = 32
		const __m256i zero = _mm256_setzero_si256();
		x = _mm256_min_epi32(_mm256_max_epi32(x, zero), _mm256_set1_epi32((int32_t)(32 * (w - 1))));
		y = _mm256_min_epi32(_mm256_max_epi32(y, zero), _mm256_set1_epi32((int32_t)(32 * (h - 1))));
		ix = _mm256_min_epi32(_mm256_srli_epi32(x, INTER_BITS), _mm256_set1_epi32((int32_t)(w - 2)));
		iy = _mm256_min_epi32(_mm256_srli_epi32(y, INTER_BITS), _mm256_set1_epi32((int32_t)(h - 2)));
		fx = _mm256_sub_epi32(x, _mm256_slli_epi32(ix, INTER_BITS));
		fy = _mm256_sub_epi32(y, _mm256_slli_epi32(iy, INTER_BITS));
	} else {
		ix = _mm256_srli_epi32(x, INTER_BITS), iy = _mm256_srli_epi32(y, INTER_BITS);
		fx = _mm256_and_si256(x, mask), fy = _mm256_and_si256(y, mask);
	}
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
	const long long *upper = (const long long *)pix, *lower = (const long long *)(pix + stride - 2);
	__m256i off = _mm256_add_epi32(_mm256_mullo_epi32(iy, rows), _mm256_add_epi32(ix, _mm256_add_epi32(ix, ix)));
	// Bytes (32-fx, fx) four times in 64 bits for maddubs (unsigned pixel bytes times signed
	// weights, at most 32*255 a pair); 16-bit (32-fy, fy) for madd.
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
	__m256 f01 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v01, half), 10), scale, lo);
	__m256 f23 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v23, half), 10), scale, lo);
	__m256 f45 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v45, half), 10), scale, lo);
	__m256 f67 = to_float(_mm256_srli_epi32(_mm256_add_epi32(v67, half), 10), scale, lo);
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

// interior8 reports whether the 8 pixels at xs, ys all have their 2x2 neighbourhood in the image.
__attribute__((target("avx2"))) static int interior8(const int32_t *xs, const int32_t *ys, int64_t w, int64_t h) {
	const __m256i x = _mm256_loadu_si256((const __m256i *)xs), y = _mm256_loadu_si256((const __m256i *)ys);
	const __m256i neg = _mm256_set1_epi32(-1);
	// 0 <= X < 32(w-1) and 0 <= Y < 32(h-1).
	__m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(x, neg), _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)(32 * (w - 1))), x));
	in = _mm256_and_si256(in, _mm256_and_si256(_mm256_cmpgt_epi32(y, neg),
			_mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)(32 * (h - 1))), y)));
	return _mm256_movemask_epi8(in) == -1;
}

// run_avx2 fills pixels [k, n) of a run from out on, 8 at a time while a pixel follows in the
// tensor (more is whether one follows the run), and returns where it stopped.
__attribute__((target("avx2,fma"))) static int64_t run_avx2(float *out, const uint8_t *pix, int64_t w, int64_t h,
		int zero, const int32_t *xs, const int32_t *ys, int64_t n, int more, const float *lut, float scale,
		float lo) {
	// Clamped coordinates fit 32-bit lanes and offsets for images up to 32768 pixels a side.
	const int clamp = !zero && w >= 2 && h >= 2 && w <= 32768 && h <= 32768;
	const __m256 vscale = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo);
	int64_t k = 0;
	for (; k + 8 < n || (more && k + 8 <= n); k += 8) {
		if (interior8(xs + k, ys + k, w, h)) {
			block8(out + 3 * k, pix, 3 * w, xs + k, ys + k, 0, w, h, vscale, vlo);
		} else if (clamp) {
			block8(out + 3 * k, pix, 3 * w, xs + k, ys + k, 1, w, h, vscale, vlo);
		} else {
			for (int64_t i = k; i < k + 8; i++) {
				at(out + 3 * i, pix, w, h, zero, xs[i], ys[i], lut);
			}
		}
	}
	return k;
}

void crop_warp(float *dst, const uint8_t *pix, int64_t w, int64_t h, int zero, const double *m,
		int64_t tw, int64_t th, int64_t block, const float *lut, float scale, float lo, int avx2) {
	int32_t xs[MAX_BLOCK], ys[MAX_BLOCK];
	for (int64_t j = 0; j < th; j++) {
		for (int64_t x0 = 0; x0 < tw; x0 += block) {
			const int64_t n = tw - x0 < block ? tw - x0 : block;
			if (avx2) {
				warp_coords_avx2(m, block, j, x0, n, xs, ys);
			} else {
				warp_coords(m, block, j, x0, n, xs, ys);
			}
			float *out = dst + 3 * (j * tw + x0);
			int64_t k = 0;
			if (avx2) {
				k = run_avx2(out, pix, w, h, zero, xs, ys, n, j * tw + x0 + n < tw * th, lut, scale, lo);
			}
			for (; k < n; k++) {
				at(out + 3 * k, pix, w, h, zero, xs[k], ys[k], lut);
			}
		}
	}
}

int crop_have_avx2(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
