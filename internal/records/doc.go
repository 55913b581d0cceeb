// Package records encodes and decodes Kafka record batches (message format
// v2, KIP-98) and the compression codecs Kafka uses inside them.
//
// It sits on the hot path of both halves of samsa:
//
//	producer: accumulator ──Builder.Append──► open batch buffer
//	          sender ──Builder.Finish (compress, CRC)──► ProduceRequest
//	consumer: FetchResponse bytes ──ReadBatch (framing, CRC)──► Decoder.Records
//	          (decompress, zero-copy records) ──► deserializers
//	mock broker: ReadBatch + Decoder.ValidateProduce ──► SetBaseOffset,
//	          SetPartitionLeaderEpoch, SetLogAppendTime ──► partition log;
//	          AppendControlBatch for transaction markers
//
// Encoding. A [Builder] writes records straight into a caller-supplied buffer
// behind a reserved 61-byte batch header; [Builder.Finish] compresses the
// records section if asked (and only keeps the compressed form if it is
// smaller), then patches the header and the CRC-32C. Append does not
// allocate once the buffer has room, and [RecordSize] gives the exact size a
// record will take so callers can check that it fits first.
//
// Decoding. [ReadBatch] splits one batch off the front of a buffer and checks
// its framing and CRC; a truncated trailing batch, which fetch responses may
// end with, is reported as [ErrPartial]. A [Decoder] turns a batch into
// [Record]s whose keys, values and headers alias the batch (or, for a
// compressed batch, the decompressed buffer): nothing is copied per record
// and headers come from one slab per batch.
//
// Compression. gzip, snappy, lz4 and zstd, with the framings the Java client
// writes: snappy in xerial framing (the decoder also accepts the raw snappy
// blocks librdkafka writes) and lz4 in the LZ4 frame format with 64 KiB
// independent blocks. A [Compressor] pools encoders; decompression pools
// decoders and refuses to inflate beyond a limit, so a small hostile batch
// cannot exhaust memory.
//
// Errors are typed: framing, CRC and record-level problems are
// [*CorruptError] values and decompression failures [*DecompressError]
// values; both match samsa.ErrCorruptBatch with errors.Is.
package records
