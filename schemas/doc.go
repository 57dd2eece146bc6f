// Package schemas holds holostream's Avro contracts: the .avsc files (embedded) and the Go
// values they carry. The Go types are plain data; codecs turns them into bytes and back.
//
// # Layout
//
//   - Frame.avsc, KeypointEvent.avsc, ActionEvent.avsc, PoseStats.avsc, DeadLetter.avsc:
//     namespace holostream.v1, one self-contained record per file (nested records and enums
//     are defined inline, so a registry needs no schema references).
//   - [Landmarks]: the landmarks of one image (pose, face, hands), the one contract of what a
//     landmark pipeline found. KeypointEvent embeds it; model.Output, the infer JSON, is a view
//     of it; model.NewLandmarks is the one conversion from a pipeline result (schemas imports
//     nothing of holostream, so the conversion lives with the result's type).
//   - [Schema]: one parsed schema (its full name, its text as registered, its Parsing Canonical
//     Form and CRC-64-AVRO fingerprint, and a goavro codec). [FrameSchema] and friends parse
//     the embedded files once, on first use.
//   - records.go: each record described once, field by field in schema order (Avro name,
//     kind, Go field), and record.go the mechanism that derives both conversions of a
//     [Contract] from that description: the Avro binary encoding written and read directly
//     (the fast path, no native maps: ~1 µs instead of ~30 µs for a pose event) and goavro's
//     native form (map[string]any, for messages of other writer schemas); a record's fields
//     may be records (optRecordField) or arrays of records (recordArrayField). Landmark and Point,
//     hundreds to an event, are described by their Go types (float32 fields whose json tags
//     are the Avro names) and copied as blocks of floats. binary.go and native.go hold the
//     primitives of each form. Tests hold both forms to goavro's bytes and values; codecs
//     fuzzes one against the other.
//
// # Conventions on the wire
//
//   - Field names are snake_case (camera_id, captured_at).
//   - Times are long with logicalType timestamp-micros: microseconds since the Unix epoch,
//     UTC. A decoded time is in UTC and truncated to the microsecond.
//   - Something that may be absent is a union ["null", T] with default null. In Go the absence
//     is nil (Pose, Face, hands) or the empty string (Exercise, PreviousPosture).
//   - A list that may be empty is an array with default [] (KeypointEvent.people): in Go nil,
//     which is written as [] and what an empty array reads as; in JSON [] (People).
//
// # KeypointEvent.people
//
// people (added after the first release; the schema before it is codecs/testdata/
// KeypointEvent-v1.avsc) is an array of Person: id, a long (the person's track id; for now its
// index in the frame, most confident first), and the fields of Landmarks, whose named types
// (Pose, Point) it reuses, so a person's landmarks have the event's own shapes. A processor fills
// it when its landmarker looks for several people per frame, whatever it found, the top-level
// landmarks then being people[0]'s; otherwise it is empty. With default [], it is BACKWARD
// compatible both ways: a new reader reads old records as without people, an old reader ignores
// the field. In records.go, Person is a record like the others and people a recordArrayField; the
// fields of Landmarks are described once (landmarksFields), for the event and for Person.
//   - Enums ActionKind and Posture have the symbol UNKNOWN and "default": "UNKNOWN", so a
//     reader that meets a symbol added later reads UNKNOWN. The zero Go value ("") is written
//     as UNKNOWN. Status has no default: adding a status is a breaking change.
//
// # Evolution: the rule
//
// Subjects are BACKWARD compatible: a consumer with the new schema must read everything written
// with the old one. So, for every change to an .avsc file:
//
//   - Every field added in the future must have a "default" (use ["null", T] with default
//     null for optional data). A field without a default is refused by the registry.
//   - Never change a field's type, except Avro's promotions (int to long, float or double;
//     long to float or double; float to double; string to and from bytes).
//   - Never rename a field or a named type; add a new field instead.
//   - Enum symbols are only appended, never removed or reordered.
//   - Removing a field is allowed only if it has a default.
//
// The FromNative conversions are tolerant readers, which is what makes a v1 consumer read v2
// data: they are given the native form decoded with the WRITER's schema, ignore fields they do
// not know, read a missing field as its default (the Go zero value, or the default written in
// the .avsc), accept Avro's numeric promotions, and map unknown ActionKind and Posture symbols
// to UNKNOWN. They fail only when a field has a type they cannot read as theirs.
package schemas
