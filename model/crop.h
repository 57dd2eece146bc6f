// The C half of model.Crop (crop_amd64.c): the tensor filled as crop.go's fillGo does.
#ifndef HOLOSTREAM_CROP_H
#define HOLOSTREAM_CROP_H

#include <stdint.h>

// crop_warp fills the tw x th RGB tensor dst from the w x h packed RGB image pix, with a zero
// border if zero is set, else a replicated one: tensor pixel (i, j) samples the image at the
// coordinates crop.go's warp.coords computes from the 3x3 matrix m with column blocks of block
// pixels (block <= 1024), and each 8-bit sample v becomes lut[v], which is fmaf(v, scale, lo).
// With avx2 set (only where crop_have_avx2 says so) runs of 8 pixels go through AVX2, which
// computes lut[v] with a fused multiply-add; the image must then be under 2 GiB, as the gathers
// take 32-bit offsets.
void crop_warp(float *dst, const uint8_t *pix, int64_t w, int64_t h, int zero, const double *m,
		int64_t tw, int64_t th, int64_t block, const float *lut, float scale, float lo, int avx2);

// crop_have_avx2 reports whether the CPU and the OS support AVX2 and FMA.
int crop_have_avx2(void);

#endif
