package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// DefaultMaxDecompressedSize is the decompressed-size limit used when none
// is configured: 64 MiB, far above what producers put in one batch (Java
// caps a request at max.request.size, 1 MiB by default, before
// compression) and far below what would hurt a consumer.
const DefaultMaxDecompressedSize = 64 << 20

// Decompress appends the decompressed form of src to dst and returns the
// extended slice, refusing to produce more than DefaultMaxDecompressedSize
// bytes. See DecompressLimit.
func Decompress(dst, src []byte, codec Codec) ([]byte, error) {
	return DecompressLimit(dst, src, codec, DefaultMaxDecompressedSize)
}

// DecompressLimit appends the decompressed form of src to dst and returns
// the extended slice. It refuses to produce more than limit bytes (limit <= 0
// means DefaultMaxDecompressedSize); memory use stays within a small
// constant of limit (at most one LZ4 block, 4 MiB, or one zstd frame more)
// whatever src claims. It accepts what Kafka clients write: gzip (one or
// more members), snappy in xerial framing (Java) or as a raw block
// (librdkafka), LZ4 frames (with or without checksums, independent or
// linked blocks) and zstd frames.
//
// On failure it returns dst unchanged and a *DecompressError, which matches
// samsa.ErrCorruptBatch (and ErrDecompressLimit when the limit was hit).
// Decoders are pooled; DecompressLimit is safe for concurrent use.
func DecompressLimit(dst, src []byte, codec Codec, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxDecompressedSize
	}
	start := len(dst)
	var out []byte
	var err error
	switch codec {
	case CodecNone:
		if len(src) > limit {
			err = ErrDecompressLimit
		} else {
			out = append(dst, src...)
		}
	case CodecGzip:
		out, err = decompressGzip(dst, src, limit)
	case CodecSnappy:
		out, err = decompressSnappy(dst, src, limit)
	case CodecLZ4:
		out, err = decompressLZ4(dst, src, limit)
	case CodecZstd:
		out, err = decompressZstd(dst, src, limit)
	default:
		err = fmt.Errorf("%w: id %d", ErrUnknownCodec, int(codec))
	}
	if err != nil {
		return dst[:start], &DecompressError{Codec: codec, Limit: limit, Err: err}
	}
	return out, nil
}

var errTruncated = errors.New("compressed data is truncated")

// growBounded makes room in dst for more output while never letting the
// output (what follows start) exceed limit+1 bytes of capacity, enough to
// notice that the limit was exceeded. It returns false if no room is left.
func growBounded(dst []byte, start, limit int) ([]byte, bool) {
	produced := len(dst) - start
	room := limit + 1 - produced
	if room <= 0 {
		return dst, false
	}
	return slices.Grow(dst, min(max(produced, 4096), room)), true
}

type gzipDecoder struct {
	r  gzip.Reader
	br bytes.Reader
}

var gzipDecoders = sync.Pool{New: func() any { return new(gzipDecoder) }}

func decompressGzip(dst, src []byte, limit int) ([]byte, error) {
	d := gzipDecoders.Get().(*gzipDecoder)
	defer gzipDecoders.Put(d)
	d.br.Reset(src)
	defer d.br.Reset(nil)
	if err := d.r.Reset(&d.br); err != nil {
		if errors.Is(err, io.EOF) {
			err = errTruncated
		}
		return dst, err
	}
	start := len(dst)
	// The trailer's ISIZE is the (last member's) size mod 2^32: a good
	// first guess, never trusted beyond the limit.
	// Deflate cannot expand data more than 1032 times, which bounds what a
	// lying trailer can make us allocate up front.
	if len(src) >= 18 {
		hint := int(binary.LittleEndian.Uint32(src[len(src)-4:]))
		dst = slices.Grow(dst, min(hint, limit, len(src)*1032)+1)
	}
	for {
		if len(dst) == cap(dst) {
			var ok bool
			if dst, ok = growBounded(dst, start, limit); !ok {
				return dst, ErrDecompressLimit
			}
		}
		n, err := d.r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst, ErrDecompressLimit
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = errTruncated
			}
			return dst, err
		}
	}
}

// zstdDecoder is a pooled zstd decoder and the size limit it is set to.
type zstdDecoder struct {
	d     *zstd.Decoder
	limit int
}

var zstdDecoders sync.Pool

func decompressZstd(dst, src []byte, limit int) ([]byte, error) {
	if len(src) == 0 {
		return dst, errTruncated
	}
	zd, _ := zstdDecoders.Get().(*zstdDecoder)
	if zd == nil {
		// Concurrency 1 and DecodeAll only: the decoder owns no goroutines,
		// so dropping it from the pool needs no Close.
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)))
		if err != nil {
			return dst, err
		}
		zd = &zstdDecoder{d: d, limit: limit}
	} else if zd.limit != limit {
		if err := zd.d.ResetWithOptions(nil, zstd.WithDecoderMaxMemory(uint64(limit))); err != nil {
			return dst, err
		}
		zd.limit = limit
	}
	defer zstdDecoders.Put(zd)
	start := len(dst)
	out, err := zd.d.DecodeAll(src, dst)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
		// The decoder also refuses frames whose declared window (the
		// memory a streaming decoder would need) is above the limit.
		return dst, ErrDecompressLimit
	case err != nil:
		return dst, err
	case len(out)-start > limit: // several frames, each within the limit
		return dst, ErrDecompressLimit
	}
	return out, nil
}
