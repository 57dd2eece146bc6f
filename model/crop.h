// The C half of model.Crop (crop_amd64.c): the interior runs of a crop's rows, the pixels whose
// 2x2 neighbourhood lies in the image, sampled exactly as crop.go's interior does.
#ifndef HOLOSTREAM_CROP_H
#define HOLOSTREAM_CROP_H

#include <stdint.h>

// crop_span is crop.go's span: n tensor pixels written from dst + 3*first on, pixel k sampling
// ((ax + k*dx) >> 40, (ay + k*dy) >> 40) in 1/32 pixels.
typedef struct {
	int64_t ax, ay, first, n;
} crop_span;

// crop_spans fills every span of spans[0:nspans] from the packed RGB image pix (stride bytes a
// row) and maps each 8-bit sample v to lut[v]. With avx2 set (only where crop_have_avx2 says so)
// spans of more than 8 pixels go through AVX2, which computes lut[v] as (float)v*scale + lo, two
// float32 roundings, exactly as crop.go builds lut; the image must then be under 2 GiB, as the
// gathers take 32-bit offsets.
void crop_spans(float *dst, const uint8_t *pix, int64_t stride, const crop_span *spans,
		int64_t nspans, int64_t dx, int64_t dy, const float *lut, float scale, float lo,
		int avx2);

// crop_have_avx2 reports whether the CPU and the OS support AVX2.
int crop_have_avx2(void);

#endif
