// The C half of model.Crop (crop_amd64.c): the rows of a crop, sampled exactly as crop.go's
// fillRowsGo does.
#ifndef HOLOSTREAM_CROP_H
#define HOLOSTREAM_CROP_H

#include <stdint.h>

// crop_row is crop.go's cropRow: a tensor row whose n pixels are tensor pixels first to
// first+n-1, pixel k sampling ((ax + k*dx) >> 40, (ay + k*dy) >> 40) in 1/32 pixels. Pixels k0
// to k1-1 have their 2x2 neighbourhood inside the image, those z0 to z1-1 touch the image, the
// rest are black.
typedef struct {
	int64_t ax, ay, first;
	int32_t k0, k1, z0, z1;
} crop_row;

// crop_rows fills rows[0:nrows], n pixels each, of the tensor dst from the w x h packed RGB image
// pix, with a zero border if zero is set, else a replicated one, and maps each 8-bit sample v
// to lut[v]. With avx2 set (only where crop_have_avx2 says so) interior runs of more than 8
// pixels, and edge runs too with a replicated border, go through AVX2, which computes lut[v]
// as (float)v*scale + lo, two float32 roundings, exactly as crop.go builds lut; the image must
// then be under 2 GiB, as the gathers take 32-bit offsets.
void crop_rows(float *dst, const uint8_t *pix, int64_t w, int64_t h, int zero, const crop_row *rows,
		int64_t nrows, int64_t n, int64_t dx, int64_t dy, const float *lut, float scale, float lo,
		int avx2);

// crop_have_avx2 reports whether the CPU and the OS support AVX2.
int crop_have_avx2(void);

#endif
