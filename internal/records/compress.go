package records

import (
	"fmt"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Compressor compresses record sections with pooled encoders: gzip writers
// per level, lz4 block compressors, zstd encoders per speed, and scratch
// buffers for Builder.Finish. The zero value is ready to use; a Compressor
// is safe for concurrent use and must not be copied after first use.
// Encoders are created on demand and dropped by the garbage collector when
// idle (sync.Pool), so a Compressor needs no Close.
type Compressor struct {
	gzip    [GzipMaxLevel - GzipMinLevel + 1]sync.Pool // *gzipEncoder, by level-GzipMinLevel
	lz4Fast sync.Pool                                  // *lz4.Compressor
	lz4HC   sync.Pool                                  // *lz4.CompressorHC
	zstd    [4]sync.Pool                               // *zstd.Encoder, by EncoderLevel-1
	scratch sync.Pool                                  // *[]byte
}

// sharedCompressor serves FinishOptions without a Compressor. It holds only
// pools of stateless encoders, so sharing it is invisible to callers.
var sharedCompressor Compressor

// maxPooledScratch bounds the scratch buffers kept for reuse, so one huge
// batch does not pin its memory forever.
const maxPooledScratch = 8 << 20

// Compress appends the compressed form of src to dst and returns the
// extended slice; src and dst must not overlap. level 0 is the codec's
// default (see ValidateLevel for the ranges). CodecNone appends src as is.
// Snappy writes the xerial framing the Java client writes; lz4 writes an
// LZ4 frame with 64 KiB independent blocks and no checksums, as the Java
// client does. The error wraps ErrUnknownCodec or ErrInvalidLevel.
func (c *Compressor) Compress(dst, src []byte, codec Codec, level int) ([]byte, error) {
	if err := ValidateLevel(codec, level); err != nil {
		return dst, err
	}
	switch codec {
	case CodecNone:
		return append(dst, src...), nil
	case CodecGzip:
		return c.compressGzip(dst, src, level)
	case CodecSnappy:
		return appendXerialSnappy(dst, src), nil
	case CodecLZ4:
		return c.compressLZ4(dst, src, level), nil
	case CodecZstd:
		return c.compressZstd(dst, src, level)
	}
	return dst, fmt.Errorf("%w: id %d", ErrUnknownCodec, int(codec))
}

// compressRecords compresses the records section of a batch under
// construction in place. It reports false, leaving buf as it was, when the
// compressed form would not be smaller.
func (c *Compressor) compressRecords(buf []byte, codec Codec, level int) ([]byte, bool, error) {
	sp, _ := c.scratch.Get().(*[]byte)
	if sp == nil {
		sp = new([]byte)
	}
	out, err := c.Compress((*sp)[:0], buf[HeaderSize:], codec, level)
	ok := err == nil && len(out) < len(buf)-HeaderSize
	if ok {
		n := copy(buf[HeaderSize:], out)
		buf = buf[:HeaderSize+n]
	}
	if cap(out) <= maxPooledScratch {
		*sp = out[:0]
		c.scratch.Put(sp)
	}
	return buf, ok, err
}

// appendWriter is an io.Writer that appends to a slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

type gzipEncoder struct {
	w   *gzip.Writer
	out appendWriter
}

func (c *Compressor) compressGzip(dst, src []byte, level int) ([]byte, error) {
	if level == 0 {
		level = gzip.DefaultCompression
	}
	pool := &c.gzip[level-GzipMinLevel]
	e, _ := pool.Get().(*gzipEncoder)
	if e == nil {
		e = new(gzipEncoder)
		w, err := gzip.NewWriterLevel(&e.out, level)
		if err != nil {
			return dst, fmt.Errorf("%w: gzip level %d: %v", ErrInvalidLevel, level, err)
		}
		e.w = w
	}
	e.out.b = dst
	e.w.Reset(&e.out)
	_, err := e.w.Write(src)
	if err == nil {
		err = e.w.Close()
	}
	out := e.out.b
	e.out.b = nil
	pool.Put(e)
	if err != nil {
		// Writing to an appendWriter cannot fail; this is a codec bug.
		return dst, fmt.Errorf("samsa: gzip compression failed: %w", err)
	}
	return out, nil
}

func (c *Compressor) compressZstd(dst, src []byte, level int) ([]byte, error) {
	speed := zstd.SpeedDefault
	switch {
	case level < 0:
		speed = zstd.SpeedFastest
	case level > 0:
		speed = zstd.EncoderLevelFromZstd(level)
	}
	pool := &c.zstd[speed-1]
	e, _ := pool.Get().(*zstd.Encoder)
	if e == nil {
		var err error
		// Concurrency 1: EncodeAll then runs on the caller's goroutine and
		// the encoder owns no goroutines that would need a Close.
		e, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(speed), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return dst, fmt.Errorf("samsa: zstd encoder: %w", err)
		}
	}
	out := e.EncodeAll(src, dst)
	pool.Put(e)
	return out, nil
}

// lz4HCDepth maps level 1..17 onto the lz4 package's search depths; the
// depth stops growing at its Level9.
func lz4HCDepth(level int) lz4.CompressionLevel {
	levels := [...]lz4.CompressionLevel{lz4.Level1, lz4.Level2, lz4.Level3, lz4.Level4,
		lz4.Level5, lz4.Level6, lz4.Level7, lz4.Level8, lz4.Level9}
	return levels[min(level, len(levels))-1]
}
