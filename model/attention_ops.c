// MediaPipe's custom ops for face_landmark_with_attention.tflite, version 2, as TFLite kernels
// (see attention_ops.h). The arithmetic keeps MediaPipe's float/double mix where it rounds
// differently, so our kernels give MediaPipe's values, not just close ones.

#include "attention_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/lite/c/c_api_experimental.h"
#include "tensorflow/lite/c/common.h"

// FlexBuffers types (flatbuffers/flexbuffers.h, enum Type) that the reader knows.
enum {
	FLEX_NULL = 0,
	FLEX_INT = 1,
	FLEX_UINT = 2,
	FLEX_FLOAT = 3,
	FLEX_INDIRECT_INT = 6,
	FLEX_INDIRECT_UINT = 7,
	FLEX_INDIRECT_FLOAT = 8,
	FLEX_MAP = 9,
	FLEX_VECTOR_INT = 11,
	FLEX_VECTOR_UINT = 12,
	FLEX_BOOL = 26,
};

static int width_ok(uint64_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

// read_uint reads a little-endian unsigned of w bytes at pos.
static int read_uint(const uint8_t *buf, size_t len, size_t pos, uint64_t w, uint64_t *v) {
	if (!width_ok(w) || pos > len || len - pos < w) return HS_FLEX_BAD;
	uint64_t x = 0;
	for (uint64_t i = 0; i < w; i++) x |= (uint64_t)buf[pos + i] << (8 * i);
	*v = x;
	return HS_FLEX_OK;
}

static int read_int(const uint8_t *buf, size_t len, size_t pos, uint64_t w, int64_t *v) {
	uint64_t x;
	if (read_uint(buf, len, pos, w, &x) != HS_FLEX_OK) return HS_FLEX_BAD;
	if (w < 8 && (x >> (8 * w - 1)) & 1) x |= ~(uint64_t)0 << (8 * w); // sign-extend
	*v = (int64_t)x;
	return HS_FLEX_OK;
}

// read_float reads a float32 or float64; FlexBuffers writes no narrower floats.
static int read_float(const uint8_t *buf, size_t len, size_t pos, uint64_t w, double *v) {
	uint64_t x;
	if ((w != 4 && w != 8) || read_uint(buf, len, pos, w, &x) != HS_FLEX_OK) return HS_FLEX_BAD;
	if (w == 4) {
		uint32_t b = (uint32_t)x;
		float f;
		memcpy(&f, &b, sizeof f);
		*v = f;
	} else {
		memcpy(v, &x, sizeof *v);
	}
	return HS_FLEX_OK;
}

// target follows the offset in r's slot back to the value it points to.
static int target(const hs_flex_ref *r, size_t *pos) {
	uint64_t off;
	if (read_uint(r->buf, r->len, r->pos, r->parent_width, &off) != HS_FLEX_OK || off > r->pos) return HS_FLEX_BAD;
	*pos = r->pos - (size_t)off;
	return HS_FLEX_OK;
}

// vector_size reads the element count stored before a vector's data at pos, whose elements are
// w bytes wide, and checks that the elements (and extra bytes per element after them: a map's
// or untyped vector's type bytes) lie inside the buffer.
static int vector_size(const uint8_t *buf, size_t len, size_t pos, uint64_t w, uint64_t extra, uint64_t *n) {
	uint64_t size;
	if (!width_ok(w) || pos < w || read_uint(buf, len, pos - w, w, &size) != HS_FLEX_OK) return HS_FLEX_BAD;
	if (pos > len || size > (len - pos) / (w + extra)) return HS_FLEX_BAD;
	*n = size;
	return HS_FLEX_OK;
}

int hs_flex_root(const uint8_t *buf, size_t len, hs_flex_ref *out) {
	if (buf == NULL || len < 3) return HS_FLEX_BAD;
	uint64_t w = buf[len - 1];
	uint8_t packed = buf[len - 2];
	if (!width_ok(w) || len - 2 < w) return HS_FLEX_BAD;
	*out = (hs_flex_ref){buf, len, len - 2 - (size_t)w, (uint8_t)w, packed >> 2, (uint8_t)(1u << (packed & 3))};
	return HS_FLEX_OK;
}

// key_equal compares the NUL-terminated key at pos with key, never reading past the buffer.
static int key_equal(const uint8_t *buf, size_t len, size_t pos, const char *key, int *eq) {
	for (size_t j = 0;; j++) {
		if (pos + j >= len) return HS_FLEX_BAD;
		uint8_t c = buf[pos + j];
		if (c != (uint8_t)key[j]) {
			*eq = 0;
			return HS_FLEX_OK;
		}
		if (c == 0) {
			*eq = 1;
			return HS_FLEX_OK;
		}
	}
}

// A map is a vector of values (each w bytes, then one type byte each) preceded by three w-byte
// fields: the offset to its keys vector, the keys' width and the count.
int hs_flex_map_get(const hs_flex_ref *m, const char *key, hs_flex_ref *out) {
	size_t data, keys;
	uint64_t w = m->width, n, kw, koff, nkeys;
	if (m->type != FLEX_MAP || target(m, &data) != HS_FLEX_OK) return HS_FLEX_BAD;
	if (vector_size(m->buf, m->len, data, w, 1, &n) != HS_FLEX_OK || data < 3 * w) return HS_FLEX_BAD;
	size_t kfield = data - 3 * (size_t)w;
	if (read_uint(m->buf, m->len, kfield, w, &koff) != HS_FLEX_OK || koff > kfield) return HS_FLEX_BAD;
	if (read_uint(m->buf, m->len, kfield + w, w, &kw) != HS_FLEX_OK) return HS_FLEX_BAD;
	keys = kfield - (size_t)koff;
	if (vector_size(m->buf, m->len, keys, kw, 0, &nkeys) != HS_FLEX_OK || nkeys != n) return HS_FLEX_BAD;
	for (uint64_t i = 0; i < n; i++) {
		size_t slot = keys + (size_t)(i * kw);
		uint64_t soff;
		int eq;
		if (read_uint(m->buf, m->len, slot, kw, &soff) != HS_FLEX_OK || soff > slot) return HS_FLEX_BAD;
		if (key_equal(m->buf, m->len, slot - (size_t)soff, key, &eq) != HS_FLEX_OK) return HS_FLEX_BAD;
		if (!eq) continue;
		uint8_t packed = m->buf[data + (size_t)(n * w + i)];
		*out = (hs_flex_ref){m->buf, m->len, data + (size_t)(i * w), (uint8_t)w, packed >> 2,
				(uint8_t)(1u << (packed & 3))};
		return HS_FLEX_OK;
	}
	return HS_FLEX_MISSING;
}

int hs_flex_float(const hs_flex_ref *r, double *out) {
	size_t pos;
	int64_t i;
	uint64_t u;
	switch (r->type) {
	case FLEX_NULL:
		*out = 0;
		return HS_FLEX_OK;
	case FLEX_FLOAT:
		return read_float(r->buf, r->len, r->pos, r->parent_width, out);
	case FLEX_INDIRECT_FLOAT:
		if (target(r, &pos) != HS_FLEX_OK) return HS_FLEX_BAD;
		return read_float(r->buf, r->len, pos, r->width, out);
	case FLEX_INT:
		if (read_int(r->buf, r->len, r->pos, r->parent_width, &i) != HS_FLEX_OK) return HS_FLEX_BAD;
		*out = (double)i;
		return HS_FLEX_OK;
	case FLEX_INDIRECT_INT:
		if (target(r, &pos) != HS_FLEX_OK || read_int(r->buf, r->len, pos, r->width, &i) != HS_FLEX_OK)
			return HS_FLEX_BAD;
		*out = (double)i;
		return HS_FLEX_OK;
	case FLEX_UINT:
	case FLEX_BOOL:
		if (read_uint(r->buf, r->len, r->pos, r->parent_width, &u) != HS_FLEX_OK) return HS_FLEX_BAD;
		*out = (double)u;
		return HS_FLEX_OK;
	case FLEX_INDIRECT_UINT:
		if (target(r, &pos) != HS_FLEX_OK || read_uint(r->buf, r->len, pos, r->width, &u) != HS_FLEX_OK)
			return HS_FLEX_BAD;
		*out = (double)u;
		return HS_FLEX_OK;
	default:
		return HS_FLEX_BAD;
	}
}

int hs_flex_int(const hs_flex_ref *r, int64_t *out) {
	size_t pos;
	uint64_t u;
	double d;
	switch (r->type) {
	case FLEX_INT:
		return read_int(r->buf, r->len, r->pos, r->parent_width, out);
	case FLEX_INDIRECT_INT:
		if (target(r, &pos) != HS_FLEX_OK) return HS_FLEX_BAD;
		return read_int(r->buf, r->len, pos, r->width, out);
	case FLEX_UINT:
	case FLEX_BOOL:
		if (read_uint(r->buf, r->len, r->pos, r->parent_width, &u) != HS_FLEX_OK || u > INT64_MAX) return HS_FLEX_BAD;
		*out = (int64_t)u;
		return HS_FLEX_OK;
	case FLEX_INDIRECT_UINT:
		if (target(r, &pos) != HS_FLEX_OK || read_uint(r->buf, r->len, pos, r->width, &u) != HS_FLEX_OK || u > INT64_MAX)
			return HS_FLEX_BAD;
		*out = (int64_t)u;
		return HS_FLEX_OK;
	default:
		// Floats truncate as flexbuffers' AsInt64 does; NaN and out-of-range ones are malformed
		// here rather than undefined behaviour.
		if (hs_flex_float(r, &d) != HS_FLEX_OK || !(d > -9.2e18 && d < 9.2e18)) return HS_FLEX_BAD;
		*out = (int64_t)d;
		return HS_FLEX_OK;
	}
}

int hs_flex_ints(const hs_flex_ref *r, int32_t **out, int32_t *n) {
	size_t data;
	uint64_t size;
	*out = NULL;
	*n = 0;
	if (r->type != FLEX_VECTOR_INT && r->type != FLEX_VECTOR_UINT) return HS_FLEX_BAD;
	if (target(r, &data) != HS_FLEX_OK || vector_size(r->buf, r->len, data, r->width, 0, &size) != HS_FLEX_OK)
		return HS_FLEX_BAD;
	if (size == 0) return HS_FLEX_OK;
	if (size > INT32_MAX) return HS_FLEX_BAD;
	int32_t *v = malloc((size_t)size * sizeof *v);
	if (v == NULL) return HS_FLEX_BAD;
	for (uint64_t i = 0; i < size; i++) {
		int64_t x;
		uint64_t u;
		size_t pos = data + (size_t)(i * r->width);
		int st;
		if (r->type == FLEX_VECTOR_INT) {
			st = read_int(r->buf, r->len, pos, r->width, &x);
		} else {
			st = read_uint(r->buf, r->len, pos, r->width, &u);
			x = u > INT32_MAX ? INT64_MAX : (int64_t)u;
		}
		if (st != HS_FLEX_OK || x < INT32_MIN || x > INT32_MAX) {
			free(v);
			return HS_FLEX_BAD;
		}
		v[i] = (int32_t)x;
	}
	*out = v;
	*n = (int32_t)size;
	return HS_FLEX_OK;
}

// get_int32 and get_float read a required scalar of the map m.
static int get_int32(const hs_flex_ref *m, const char *key, int32_t *v) {
	hs_flex_ref r;
	int64_t x;
	if (hs_flex_map_get(m, key, &r) != HS_FLEX_OK || hs_flex_int(&r, &x) != HS_FLEX_OK) return HS_FLEX_BAD;
	if (x < INT32_MIN || x > INT32_MAX) return HS_FLEX_BAD;
	*v = (int32_t)x;
	return HS_FLEX_OK;
}

static int get_float(const hs_flex_ref *m, const char *key, float *v) {
	hs_flex_ref r;
	double x;
	if (hs_flex_map_get(m, key, &r) != HS_FLEX_OK || hs_flex_float(&r, &x) != HS_FLEX_OK) return HS_FLEX_BAD;
	*v = (float)x;
	return HS_FLEX_OK;
}

// --- Landmarks2TransformMatrix v2 ---------------------------------------------------------------

// Error codes of the parsers: the buffer is not a map of the expected keys and types, or a value
// is one MediaPipe's Eval rejects.
enum { PARSE_MALFORMED = -1, PARSE_INVALID = -2 };

int hs_l2m_parse(const uint8_t *buf, size_t len, hs_l2m_attrs *a) {
	hs_flex_ref root, r;
	memset(a, 0, sizeof *a);
	if (hs_flex_root(buf, len, &root) != HS_FLEX_OK || root.type != FLEX_MAP) return PARSE_MALFORMED;
	if (get_int32(&root, "left_rotation_idx", &a->left_rotation_idx) != HS_FLEX_OK ||
			get_int32(&root, "right_rotation_idx", &a->right_rotation_idx) != HS_FLEX_OK ||
			get_int32(&root, "output_height", &a->output_height) != HS_FLEX_OK ||
			get_int32(&root, "output_width", &a->output_width) != HS_FLEX_OK ||
			get_float(&root, "scale_x", &a->scale_x) != HS_FLEX_OK ||
			get_float(&root, "scale_y", &a->scale_y) != HS_FLEX_OK)
		return PARSE_MALFORMED;
	// A missing target rotation reads as 0 in MediaPipe (flexbuffers' null converts to 0).
	double target_rotation = 0;
	int st = hs_flex_map_get(&root, "target_rotation_radians", &r);
	if (st == HS_FLEX_BAD || (st == HS_FLEX_OK && hs_flex_float(&r, &target_rotation) != HS_FLEX_OK))
		return PARSE_MALFORMED;
	a->target_rotation_radians = (float)target_rotation;
	if (hs_flex_map_get(&root, "subset_idxs", &r) != HS_FLEX_OK || hs_flex_ints(&r, &a->subset, &a->n_subset) != HS_FLEX_OK)
		return PARSE_MALFORMED;
	// MediaPipe's Eval checks these; an empty subset it would read past (landmarks[0] of none).
	int ok = a->n_subset > 0 && a->left_rotation_idx >= 0 && a->right_rotation_idx >= 0 &&
			a->output_height > 0 && a->output_width > 0 && a->scale_x > 0 && a->scale_y > 0 &&
			isfinite(a->scale_x) && isfinite(a->scale_y) && isfinite(a->target_rotation_radians);
	for (int32_t i = 0; ok && i < a->n_subset; i++) ok = a->subset[i] >= 0;
	if (!ok) {
		hs_l2m_free(a);
		return PARSE_INVALID;
	}
	return 0;
}

void hs_l2m_free(hs_l2m_attrs *a) {
	free(a->subset);
	a->subset = NULL;
	a->n_subset = 0;
}

int32_t hs_l2m_max_index(const hs_l2m_attrs *a) {
	int32_t m = a->left_rotation_idx > a->right_rotation_idx ? a->left_rotation_idx : a->right_rotation_idx;
	for (int32_t i = 0; i < a->n_subset; i++)
		if (a->subset[i] > m) m = a->subset[i];
	return m;
}

// The crop is the bounding box of the subset in a frame turned by rot (the rotation that brings
// left → right to the target angle), its centre turned back; the matrix is then
// shift(centre) · rotate(-rot) · scale(box / output size) · shift(-output size / 2), which takes an
// output pixel to the input's coordinates (landmarks_to_transform_matrix.cc, v2).
void hs_l2m_compute(const hs_l2m_attrs *a, const float *lms, float out[16]) {
	const float *l = lms + 3 * (size_t)a->left_rotation_idx, *r = lms + 3 * (size_t)a->right_rotation_idx;
	float rot = a->target_rotation_radians - atan2f(r[1] - l[1], r[0] - l[0]);
	float c = cosf(rot), s = sinf(rot);
	float xmin = 0, xmax = 0, ymin = 0, ymax = 0;
	for (int32_t i = 0; i < a->n_subset; i++) {
		const float *p = lms + 3 * (size_t)a->subset[i];
		float x = c * p[0] - s * p[1], y = s * p[0] + c * p[1];
		if (i == 0 || x < xmin) xmin = x;
		if (i == 0 || x > xmax) xmax = x;
		if (i == 0 || y < ymin) ymin = y;
		if (i == 0 || y > ymax) ymax = y;
	}
	float mx = (xmin + xmax) / 2, my = (ymin + ymax) / 2;
	float cx = c * mx + s * my, cy = -s * mx + c * my;
	float sx = a->scale_x * (xmax - xmin) / (float)a->output_width;
	float sy = a->scale_y * (ymax - ymin) / (float)a->output_height;
	float hw = -(float)(a->output_width / 2.0), hh = -(float)(a->output_height / 2.0);
	memset(out, 0, 16 * sizeof *out);
	out[0] = c * sx;
	out[1] = s * sy;
	// Summed in the order of MediaPipe's matrix product, so the floats round alike.
	out[3] = (out[0] * hw + out[1] * hh) + cx;
	out[4] = -s * sx;
	out[5] = c * sy;
	out[7] = (out[4] * hw + out[5] * hh) + cy;
	out[10] = 1;
	out[15] = 1;
}

// --- TransformTensorBilinear v2 ----------------------------------------------------------------

int hs_bilinear_parse(const uint8_t *buf, size_t len, int32_t *out_h, int32_t *out_w) {
	hs_flex_ref root;
	if (hs_flex_root(buf, len, &root) != HS_FLEX_OK || root.type != FLEX_MAP) return PARSE_MALFORMED;
	if (get_int32(&root, "output_height", out_h) != HS_FLEX_OK || get_int32(&root, "output_width", out_w) != HS_FLEX_OK)
		return PARSE_MALFORMED;
	return *out_h > 0 && *out_w > 0 ? 0 : PARSE_INVALID;
}

void hs_bilinear(const float *in, int32_t ih, int32_t iw, int32_t c, const float m[16], float *out,
		int32_t oh, int32_t ow) {
	// Align corners: sample at pixel centres, T' = S(-½) · T · S(+½), which only moves the
	// translation (transform_tensor_bilinear.cc, v2). Double, then float, as MediaPipe's +=.
	float x0 = m[0], x1 = m[1], x2 = m[2], x3 = (float)(m[3] + (m[0] * 0.5 + m[1] * 0.5 - 0.5));
	float y0 = m[4], y1 = m[5], y2 = m[6], y3 = (float)(m[7] + (m[4] * 0.5 + m[5] * 0.5 - 0.5));
	for (int32_t oy = 0; oy < oh; oy++) {
		for (int32_t ox = 0; ox < ow; ox++) {
			float *dst = out + ((size_t)oy * ow + ox) * c;
			float fx = (float)ox, fy = (float)oy;
			float tx = x0 * fx + x1 * fy + x2 * 0.0f + x3 * 1.0f;
			float ty = y0 * fx + y1 * fy + y2 * 0.0f + y3 * 1.0f;
			// Outside the input (or NaN): zeros.
			if (!(tx >= 0 && tx <= (float)(iw - 1) && ty >= 0 && ty <= (float)(ih - 1))) {
				memset(dst, 0, (size_t)c * sizeof *dst);
				continue;
			}
			int32_t xa = (int32_t)floorf(tx), ya = (int32_t)floorf(ty);
			float wx = tx - (float)xa, wy = ty - (float)ya;
			// The right and lower neighbours exist unless the point is on the last column or row,
			// where their weight is 0 and MediaPipe reads them as 0.
			const float *q11 = in + ((size_t)ya * iw + xa) * c;
			const float *q21 = xa + 1 < iw ? q11 + c : NULL;
			const float *q12 = ya + 1 < ih ? q11 + (size_t)iw * c : NULL;
			const float *q22 = q21 && q12 ? q12 + c : NULL;
			for (int32_t k = 0; k < c; k++) {
				float v11 = q11[k], v21 = q21 ? q21[k] : 0, v12 = q12 ? q12[k] : 0, v22 = q22 ? q22[k] : 0;
				float upper = (float)((1.0 - wx) * v11 + wx * v21);
				float lower = (float)((1.0 - wx) * v12 + wx * v22);
				dst[k] = (float)(wy * lower + (1.0 - wy) * upper);
			}
		}
	}
}

// --- TransformLandmarks v2 ---------------------------------------------------------------------

void hs_transform_landmarks(const float *in, int32_t n, int32_t dims, const float m[16], float *out) {
	for (int32_t i = 0; i < n; i++) {
		const float *p = in + (size_t)i * dims;
		float *q = out + (size_t)i * dims;
		float x = p[0], y = p[1];
		q[0] = m[0] * x + m[1] * y + m[2] * 0.0f + m[3] * 1.0f;
		q[1] = m[4] * x + m[5] * y + m[6] * 0.0f + m[7] * 1.0f;
		if (dims == 3) q[2] = p[2];
	}
}

// --- TFLite glue -------------------------------------------------------------------------------

// tensor_at is the i-th tensor of a node's inputs or outputs, NULL when there is none.
static TfLiteTensor *tensor_at(TfLiteContext *ctx, const TfLiteIntArray *ids, int i) {
	if (ids == NULL || i >= ids->size) return NULL;
	int t = ids->data[i];
	if (t < 0 || (size_t)t >= ctx->tensors_size) return NULL;
	return &ctx->tensors[t];
}

// io fetches a node's tensors, checking their count and that they are float32.
static TfLiteStatus io(TfLiteContext *ctx, TfLiteNode *node, const char *op, int nin, TfLiteTensor **in,
		TfLiteTensor **matrix, TfLiteTensor **out) {
	if (node->inputs == NULL || node->inputs->size != nin || node->outputs == NULL || node->outputs->size != 1) {
		ctx->ReportError(ctx, "%s: want %d inputs and 1 output", op, nin);
		return kTfLiteError;
	}
	*in = tensor_at(ctx, node->inputs, 0);
	*out = tensor_at(ctx, node->outputs, 0);
	if (matrix) *matrix = tensor_at(ctx, node->inputs, 1);
	if (*in == NULL || *out == NULL || (matrix && *matrix == NULL)) {
		ctx->ReportError(ctx, "%s: missing tensor", op);
		return kTfLiteError;
	}
	if ((*in)->type != kTfLiteFloat32 || (*out)->type != kTfLiteFloat32 || (matrix && (*matrix)->type != kTfLiteFloat32)) {
		ctx->ReportError(ctx, "%s: tensors must be float32", op);
		return kTfLiteError;
	}
	if ((*in)->dims == NULL || (matrix && ((*matrix)->dims == NULL || (*matrix)->bytes < 16 * sizeof(float)))) {
		ctx->ReportError(ctx, "%s: bad input shapes", op);
		return kTfLiteError;
	}
	return kTfLiteOk;
}

static TfLiteStatus resize(TfLiteContext *ctx, TfLiteTensor *t, int n, const int *dims) {
	TfLiteIntArray *a = TfLiteIntArrayCreate(n);
	if (a == NULL) return kTfLiteError;
	for (int i = 0; i < n; i++) a->data[i] = dims[i];
	return ctx->ResizeTensor(ctx, t, a); // takes ownership of a
}

static int have_data(const TfLiteTensor *t, size_t floats) {
	return t->data.f != NULL && t->bytes >= floats * sizeof(float);
}

// Landmarks2TransformMatrix: [1, N, 3] landmarks → [1, 4, 4] matrix.
typedef struct {
	int status;
	hs_l2m_attrs a;
} l2m_state;

static void *l2m_init(TfLiteContext *ctx, const char *buf, size_t len) {
	(void)ctx;
	l2m_state *s = calloc(1, sizeof *s);
	if (s != NULL) s->status = hs_l2m_parse((const uint8_t *)buf, len, &s->a);
	return s;
}

static void l2m_free(TfLiteContext *ctx, void *p) {
	(void)ctx;
	l2m_state *s = p;
	if (s == NULL) return;
	if (s->status == 0) hs_l2m_free(&s->a);
	free(s);
}

static TfLiteStatus l2m_prepare(TfLiteContext *ctx, TfLiteNode *node) {
	static const char op[] = "Landmarks2TransformMatrix";
	l2m_state *s = node->user_data;
	TfLiteTensor *in, *out;
	if (s == NULL || s->status != 0) {
		ctx->ReportError(ctx, "%s: bad custom options (%d)", op, s ? s->status : 0);
		return kTfLiteError;
	}
	if (io(ctx, node, op, 1, &in, NULL, &out) != kTfLiteOk) return kTfLiteError;
	if (in->dims->size != 3 || in->dims->data[0] != 1 || in->dims->data[2] != 3 ||
			hs_l2m_max_index(&s->a) >= in->dims->data[1]) {
		ctx->ReportError(ctx, "%s: input must be [1, N, 3] with every index below N", op);
		return kTfLiteError;
	}
	static const int dims[3] = {1, 4, 4};
	return resize(ctx, out, 3, dims);
}

static TfLiteStatus l2m_invoke(TfLiteContext *ctx, TfLiteNode *node) {
	l2m_state *s = node->user_data;
	TfLiteTensor *in, *out;
	if (io(ctx, node, "Landmarks2TransformMatrix", 1, &in, NULL, &out) != kTfLiteOk) return kTfLiteError;
	if (!have_data(in, 3 * (size_t)in->dims->data[1]) || !have_data(out, 16)) return kTfLiteError;
	hs_l2m_compute(&s->a, in->data.f, out->data.f);
	return kTfLiteOk;
}

// TransformTensorBilinear: [1, H, W, C] and a [1, 4, 4] matrix → [1, output_height, output_width, C].
typedef struct {
	int status;
	int32_t h, w;
} bilinear_state;

static void *bilinear_init(TfLiteContext *ctx, const char *buf, size_t len) {
	(void)ctx;
	bilinear_state *s = calloc(1, sizeof *s);
	if (s != NULL) s->status = hs_bilinear_parse((const uint8_t *)buf, len, &s->h, &s->w);
	return s;
}

static void state_free(TfLiteContext *ctx, void *p) {
	(void)ctx;
	free(p);
}

static TfLiteStatus bilinear_prepare(TfLiteContext *ctx, TfLiteNode *node) {
	static const char op[] = "TransformTensorBilinear";
	bilinear_state *s = node->user_data;
	TfLiteTensor *in, *m, *out;
	if (s == NULL || s->status != 0) {
		ctx->ReportError(ctx, "%s: bad custom options (%d)", op, s ? s->status : 0);
		return kTfLiteError;
	}
	if (io(ctx, node, op, 2, &in, &m, &out) != kTfLiteOk) return kTfLiteError;
	const int *d = in->dims->data;
	if (in->dims->size != 4 || d[0] != 1 || d[1] <= 0 || d[2] <= 0 || d[3] <= 0) {
		ctx->ReportError(ctx, "%s: input must be [1, H, W, C]", op);
		return kTfLiteError;
	}
	const int dims[4] = {1, s->h, s->w, d[3]};
	return resize(ctx, out, 4, dims);
}

static TfLiteStatus bilinear_invoke(TfLiteContext *ctx, TfLiteNode *node) {
	bilinear_state *s = node->user_data;
	TfLiteTensor *in, *m, *out;
	if (io(ctx, node, "TransformTensorBilinear", 2, &in, &m, &out) != kTfLiteOk) return kTfLiteError;
	const int *d = in->dims->data;
	if (!have_data(in, (size_t)d[1] * d[2] * d[3]) || !have_data(m, 16) || !have_data(out, (size_t)s->h * s->w * d[3]))
		return kTfLiteError;
	hs_bilinear(in->data.f, d[1], d[2], d[3], m->data.f, out->data.f, s->h, s->w);
	return kTfLiteOk;
}

// TransformLandmarks: [1, N, D] landmarks (D = 2 or 3) and a [1, 4, 4] matrix → [1, N, D]. Version
// 2 has no options: the dimensions are the tensor's.
static TfLiteStatus landmarks_prepare(TfLiteContext *ctx, TfLiteNode *node) {
	static const char op[] = "TransformLandmarks";
	TfLiteTensor *in, *m, *out;
	if (io(ctx, node, op, 2, &in, &m, &out) != kTfLiteOk) return kTfLiteError;
	const int *d = in->dims->data;
	if (in->dims->size != 3 || d[0] != 1 || d[1] < 0 || (d[2] != 2 && d[2] != 3)) {
		ctx->ReportError(ctx, "%s: input must be [1, N, 2] or [1, N, 3]", op);
		return kTfLiteError;
	}
	return resize(ctx, out, 3, d);
}

static TfLiteStatus landmarks_invoke(TfLiteContext *ctx, TfLiteNode *node) {
	TfLiteTensor *in, *m, *out;
	if (io(ctx, node, "TransformLandmarks", 2, &in, &m, &out) != kTfLiteOk) return kTfLiteError;
	const int *d = in->dims->data;
	size_t n = (size_t)d[1] * d[2];
	if (!have_data(in, n) || !have_data(m, 16) || !have_data(out, n)) return kTfLiteError;
	hs_transform_landmarks(in->data.f, d[1], d[2], m->data.f, out->data.f);
	return kTfLiteOk;
}

static const TfLiteRegistration l2m_registration = {
		.init = l2m_init, .free = l2m_free, .prepare = l2m_prepare, .invoke = l2m_invoke};
static const TfLiteRegistration bilinear_registration = {
		.init = bilinear_init, .free = state_free, .prepare = bilinear_prepare, .invoke = bilinear_invoke};
static const TfLiteRegistration landmarks_registration = {.prepare = landmarks_prepare, .invoke = landmarks_invoke};

void hs_add_attention_ops(struct TfLiteInterpreterOptions *options) {
	TfLiteInterpreterOptionsAddCustomOp(options, "Landmarks2TransformMatrix", &l2m_registration, 2, 2);
	TfLiteInterpreterOptionsAddCustomOp(options, "TransformTensorBilinear", &bilinear_registration, 2, 2);
	TfLiteInterpreterOptionsAddCustomOp(options, "TransformLandmarks", &landmarks_registration, 2, 2);
}
