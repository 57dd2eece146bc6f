package model

/*
#cgo LDFLAGS: -lm
#include <math.h>

// The symbol versions MediaPipe's Python wheel binds (objdump -T _framework_bindings.so): a
// library that also exports newer ones gives the same results through these.
#if defined(__x86_64__) && defined(__GLIBC__)
__asm__(".symver expf,expf@GLIBC_2.2.5");
__asm__(".symver cosf,cosf@GLIBC_2.2.5");
__asm__(".symver sinf,sinf@GLIBC_2.2.5");
__asm__(".symver atan2f,atan2f@GLIBC_2.2.5");
__asm__(".symver cos,cos@GLIBC_2.2.5");
__asm__(".symver sin,sin@GLIBC_2.2.5");
#endif

static float hs_expf(float x) { return expf(x); }
static float hs_cosf(float x) { return cosf(x); }
static float hs_sinf(float x) { return sinf(x); }
static float hs_atan2f(float y, float x) { return atan2f(y, x); }
static double hs_cos(double x) { return cos(x); }
static double hs_sin(double x) { return sin(x); }
*/
import "C"

// The C library's elementary functions, which MediaPipe's calculators call: std::exp, std::cos,
// std::sin and std::atan2 on a float are expf, cosf, sinf and atan2f, which round differently
// from Go's math package on some arguments (float32(math.Exp(float64(x))) differs from expf on
// 0.06% of them, cosf and sinf on 1.2%, atan2f on 16%). Tracking feeds each frame's landmarks
// back into the next frame's crop, so one ulp there grows, frame after frame, into pixels:
// these keep the port on MediaPipe's values exactly.

func expf(x float32) float32      { return float32(C.hs_expf(C.float(x))) }
func cosf(x float32) float32      { return float32(C.hs_cosf(C.float(x))) }
func sinf(x float32) float32      { return float32(C.hs_sinf(C.float(x))) }
func atan2f(y, x float32) float32 { return float32(C.hs_atan2f(C.float(y), C.float(x))) }
func cos(x float64) float64       { return float64(C.hs_cos(C.double(x))) }
func sin(x float64) float64       { return float64(C.hs_sin(C.double(x))) }
