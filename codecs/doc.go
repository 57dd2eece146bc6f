// Package codecs turns holostream's values into Kafka message bytes and back: goka codecs, and
// a client of the Schema Registry REST API.
//
// # Wire formats
//
// [Avro] writes one of two framings around the Avro binary encoding of a value (Avro
// specification, "Binary Encoding"):
//
//   - With a schema registry, the Confluent wire format:
//
//     byte 0      0x00 (magic)
//     bytes 1-4   the writer schema's registry id, big-endian
//     bytes 5-    Avro binary
//
//     The schema is registered under the subject "<topic>-value" (TopicNameStrategy), whose
//     compatibility is set to BACKWARD. A reader resolves the writer schema by the id
//     (asking the registry once per id) and reads the value with it, so it reads messages
//     written with newer, compatible schemas.
//
//   - Without a registry, Avro single-object encoding (Avro specification, "Single object
//     encoding"), so payloads stay self-describing:
//
//     bytes 0-1   0xC3 0x01 (marker, format version 1)
//     bytes 2-9   CRC-64-AVRO (Rabin) fingerprint of the writer schema's Parsing Canonical
//     Form, little-endian
//     bytes 10-   Avro binary
//
//     A reader accepts the fingerprints of the schemas it knows: its own, and those given with
//     [WithWriterSchemas].
//
// Reading a message of the codec's own schema goes through the contract's fast path
// (schemas.Contract.ReadBinary); a message of another writer schema is checked first (every
// length, block count, enum and union index against the bytes left: goavro would otherwise
// size an array by a count in the data), decoded by goavro with the writer schema, and read by
// the contract's tolerant FromNative. Either way a malformed message is an [ErrMalformed]
// error, never a panic or an allocation the message's bytes cannot account for.
//
// [Bytes] passes raw values through, for input topics whose callbacks decode the bytes
// themselves; [JSON] encodes table state as JSON.
//
// # State
//
// An [Avro] holds its contract (schemas.Contract), the header it writes, and the writer schemas
// it has resolved (by registry id or fingerprint), each parsed once. The [Registry] from
// [NewRegistry] caches registrations (subject and schema to id) and schemas (id to text). Both
// are safe for concurrent use; neither has package-level state.
package codecs
