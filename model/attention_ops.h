// MediaPipe's three custom TFLite ops that face_landmark_with_attention.tflite needs
// (refine_face_landmarks), written for holostream from the semantics of
// mediapipe/util/tflite/operations/{landmarks_to_transform_matrix,transform_tensor_bilinear,
// transform_landmarks}.cc, version 2 of each (the version the model records), with the
// attribute parsing of MediaPipe's tflite::gpu custom parsers
// (third_party/litert_custom_ops.diff). The kernels are plain functions over arrays so the Go
// tests can check them without an interpreter; attention_ops.c wraps them in TfLiteRegistrations.
#ifndef HOLOSTREAM_ATTENTION_OPS_H
#define HOLOSTREAM_ATTENTION_OPS_H

#include <stddef.h>
#include <stdint.h>

// --- A minimal FlexBuffers reader --------------------------------------------------------------
// Just what the ops' custom options hold: a map of ints, floats and typed vectors of ints. Every
// read is bounds-checked against the buffer; a malformed buffer gives HS_FLEX_BAD, never a read
// outside it.

enum { HS_FLEX_OK = 0, HS_FLEX_MISSING = 1, HS_FLEX_BAD = -1 };

// hs_flex_ref is a value inside a buffer: the offset of its slot, the width of that slot (the
// parent's width), its type and, for values held by offset, the width of what it points to.
typedef struct {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	uint8_t parent_width;
	uint8_t type;
	uint8_t width;
} hs_flex_ref;

// hs_flex_root reads the root value: the buffer ends with the root's slot, its packed type and
// its width.
int hs_flex_root(const uint8_t *buf, size_t len, hs_flex_ref *out);
// hs_flex_map_get finds key in the map m: HS_FLEX_OK, HS_FLEX_MISSING, or HS_FLEX_BAD when m is
// not a well-formed map.
int hs_flex_map_get(const hs_flex_ref *m, const char *key, hs_flex_ref *out);
// hs_flex_int and hs_flex_float convert a scalar (int, uint, float, bool, inline or indirect)
// as flexbuffers' AsInt64 and AsDouble do.
int hs_flex_int(const hs_flex_ref *r, int64_t *out);
int hs_flex_float(const hs_flex_ref *r, double *out);
// hs_flex_ints reads a typed vector of ints or uints (what flexbuffers' AsTypedVector accepts
// for these ops) into a new array *out of *n values (malloc'd, the caller frees it; NULL when
// empty).
int hs_flex_ints(const hs_flex_ref *r, int32_t **out, int32_t *n);

// --- Landmarks2TransformMatrix v2 ---------------------------------------------------------------

// hs_l2m_attrs are the op's custom options.
typedef struct {
	int32_t left_rotation_idx, right_rotation_idx;
	float target_rotation_radians;
	int32_t output_height, output_width;
	float scale_x, scale_y;
	// subset are the landmark indices whose rotated bounding box sets the crop (MediaPipe reads
	// them as pairs and repeats an odd last one, which changes no bounding box).
	int32_t *subset;
	int32_t n_subset;
} hs_l2m_attrs;

// hs_l2m_parse parses the options into a (which then owns a->subset: hs_l2m_free); 0 on
// success, else a negative code, and a holds nothing to free. The values are checked as
// MediaPipe's Eval checks them (indices >= 0, sizes and scales > 0).
int hs_l2m_parse(const uint8_t *buf, size_t len, hs_l2m_attrs *a);
void hs_l2m_free(hs_l2m_attrs *a);
// hs_l2m_max_index is the largest landmark index a reads, to check against the input.
int32_t hs_l2m_max_index(const hs_l2m_attrs *a);
// hs_l2m_compute writes the 4x4 row-major matrix that maps output_width x output_height pixel
// coordinates to the input's: the landmarks lms (x, y, z per landmark, all indices in range)
// rotated so left → right points at target_rotation_radians, their bounding box scaled by
// scale_x, scale_y.
void hs_l2m_compute(const hs_l2m_attrs *a, const float *lms, float out[16]);

// --- TransformTensorBilinear v2 ----------------------------------------------------------------

// hs_bilinear_parse reads output_height and output_width; 0 on success.
int hs_bilinear_parse(const uint8_t *buf, size_t len, int32_t *out_h, int32_t *out_w);
// hs_bilinear samples the ih x iw x c tensor in at the points the first two rows of m give for
// each output pixel (x, y), with align-corners, into the oh x ow x c tensor out. A point outside
// [0, iw-1] x [0, ih-1] gives 0 in every channel; a neighbour past the edge counts as 0.
void hs_bilinear(const float *in, int32_t ih, int32_t iw, int32_t c, const float m[16], float *out,
		int32_t oh, int32_t ow);

// --- TransformLandmarks v2 ---------------------------------------------------------------------

// hs_transform_landmarks maps n landmarks of dims (2 or 3) values by the first two rows of m:
// x and y transformed, z copied.
void hs_transform_landmarks(const float *in, int32_t n, int32_t dims, const float m[16], float *out);

// --- Registration --------------------------------------------------------------------------------

struct TfLiteInterpreterOptions;

// hs_add_attention_ops registers the three ops, version 2, with options. The registrations and
// names are static: TFLite copies a registration but keeps its name's pointer.
void hs_add_attention_ops(struct TfLiteInterpreterOptions *options);

#endif
