package records

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/pierrec/lz4/v4"
)

// The LZ4 frame format (lz4_Frame_format.md v1.6), which Kafka uses for
// codec lz4. Block compression itself comes from the lz4 package; the frame
// around it is written here so that it matches the Java client's exactly and
// so that decoding is bounded and allocation-free.
const (
	lz4FrameMagic     = 0x184D2204
	lz4SkippableMagic = 0x184D2A50 // low 4 bits free
	lz4Uncompressed   = 0x80000000 // block size flag: stored, not compressed
	lz4WindowSize     = 64 << 10   // how far back a linked block may refer

	// The Java client's frame: version 01, independent blocks, no block
	// or content checksum, no content size; 64 KiB maximum block size.
	lz4JavaFLG       = 0x60
	lz4JavaBD        = 0x40
	lz4JavaBlockSize = 64 << 10

	lz4FlagBlockIndependence = 0x20
	lz4FlagBlockChecksum     = 0x10
	lz4FlagContentSize       = 0x08
	lz4FlagContentChecksum   = 0x04
	lz4FlagReserved          = 0x02
	lz4FlagDictID            = 0x01
)

// lz4JavaHC is the descriptor checksum byte of the Java client's frame
// descriptor: the second byte of xxHash32 over FLG and BD.
var lz4JavaHC = byte(xxh32([]byte{lz4JavaFLG, lz4JavaBD}) >> 8)

// compressLZ4 appends src as one LZ4 frame, in 64 KiB blocks; a block that
// does not shrink is stored uncompressed.
func (c *Compressor) compressLZ4(dst, src []byte, level int) []byte {
	var compress func(src, dst []byte) (int, error)
	if level == 0 {
		fc, _ := c.lz4Fast.Get().(*lz4.Compressor)
		if fc == nil {
			fc = new(lz4.Compressor)
		}
		defer c.lz4Fast.Put(fc)
		compress = fc.CompressBlock
	} else {
		hc, _ := c.lz4HC.Get().(*lz4.CompressorHC)
		if hc == nil {
			hc = new(lz4.CompressorHC)
		}
		defer c.lz4HC.Put(hc)
		hc.Level = lz4HCDepth(level)
		compress = hc.CompressBlock
	}
	dst = binary.LittleEndian.AppendUint32(dst, lz4FrameMagic)
	dst = append(dst, lz4JavaFLG, lz4JavaBD, lz4JavaHC)
	for len(src) > 0 {
		chunk := src[:min(len(src), lz4JavaBlockSize)]
		src = src[len(chunk):]
		bound := lz4.CompressBlockBound(len(chunk))
		dst = slices.Grow(dst, 4+bound)
		pos := len(dst)
		// Compress behind the size field, then write the size in front.
		n, err := compress(chunk, dst[pos+4:pos+4+bound])
		if err != nil || n <= 0 || n >= len(chunk) {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(len(chunk))|lz4Uncompressed)
			dst = append(dst, chunk...)
			continue
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
		dst = dst[:pos+4+n]
	}
	return binary.LittleEndian.AppendUint32(dst, 0) // end mark
}

var errLZ4NoFrame = errors.New("no LZ4 frame")

// decompressLZ4 appends the contents of the LZ4 frames in src to dst.
func decompressLZ4(dst, src []byte, limit int) ([]byte, error) {
	start := len(dst)
	frames := 0
	for len(src) > 0 {
		if len(src) < 4 {
			return dst, errTruncated
		}
		magic := binary.LittleEndian.Uint32(src)
		if magic&^0xF == lz4SkippableMagic {
			if len(src) < 8 {
				return dst, errTruncated
			}
			size := uint64(binary.LittleEndian.Uint32(src[4:]))
			if uint64(len(src)-8) < size {
				return dst, errTruncated
			}
			src = src[8+size:]
			continue
		}
		if magic != lz4FrameMagic {
			return dst, fmt.Errorf("not an LZ4 frame: magic %#08x", magic)
		}
		var err error
		if dst, src, err = decodeLZ4Frame(dst, src[4:], start, limit); err != nil {
			return dst, err
		}
		frames++
	}
	if frames == 0 {
		return dst, errLZ4NoFrame
	}
	return dst, nil
}

// decodeLZ4Frame decodes one frame (src starts after its magic number) and
// returns the rest of src.
func decodeLZ4Frame(dst, src []byte, start, limit int) ([]byte, []byte, error) {
	if len(src) < 3 {
		return dst, src, errTruncated
	}
	flg, bd := src[0], src[1]
	switch {
	case flg>>6 != 1:
		return dst, src, fmt.Errorf("LZ4 frame version %d, want 1", flg>>6)
	case flg&lz4FlagReserved != 0 || bd&0x8F != 0:
		return dst, src, errors.New("LZ4 frame descriptor has reserved bits set")
	case flg&lz4FlagDictID != 0:
		return dst, src, errors.New("LZ4 frame needs a dictionary, which Kafka never uses")
	case bd>>4 < 4:
		return dst, src, fmt.Errorf("LZ4 block size id %d, want 4..7", bd>>4)
	}
	blockMax := 1 << (2*int(bd>>4) + 8)
	descLen := 2
	var contentSize uint64
	if flg&lz4FlagContentSize != 0 {
		descLen += 8
		if len(src) < descLen+1 {
			return dst, src, errTruncated
		}
		contentSize = binary.LittleEndian.Uint64(src[2:])
		if contentSize > uint64(limit-(len(dst)-start)) {
			return dst, src, ErrDecompressLimit
		}
		dst = slices.Grow(dst, int(contentSize))
	}
	if hc := byte(xxh32(src[:descLen]) >> 8); hc != src[descLen] {
		return dst, src, fmt.Errorf("LZ4 frame descriptor checksum %#02x, computed %#02x", src[descLen], hc)
	}
	src = src[descLen+1:]
	if flg&lz4FlagContentSize == 0 {
		dst = slices.Grow(dst, min(lz4FrameBound(src, flg, blockMax), limit-(len(dst)-start)))
	}
	frameStart := len(dst)
	for {
		if len(src) < 4 {
			return dst, src, errTruncated
		}
		word := binary.LittleEndian.Uint32(src)
		src = src[4:]
		if word == 0 { // end mark
			break
		}
		size := int(word &^ lz4Uncompressed)
		if size > blockMax {
			return dst, src, fmt.Errorf("LZ4 block of %d bytes exceeds the frame's %d-byte maximum", size, blockMax)
		}
		if len(src) < size {
			return dst, src, errTruncated
		}
		block := src[:size]
		src = src[size:]
		if flg&lz4FlagBlockChecksum != 0 {
			if len(src) < 4 {
				return dst, src, errTruncated
			}
			if want, got := binary.LittleEndian.Uint32(src), xxh32(block); want != got {
				return dst, src, fmt.Errorf("LZ4 block checksum %#08x, computed %#08x", want, got)
			}
			src = src[4:]
		}
		room := limit - (len(dst) - start)
		if word&lz4Uncompressed != 0 {
			if size > room {
				return dst, src, ErrDecompressLimit
			}
			dst = append(dst, block...)
			continue
		}
		// Decode into the spare capacity (presized for the whole frame);
		// only if that is too small, make room for a maximum-size block.
		out := dst[len(dst):cap(dst)]
		if len(out) > blockMax {
			out = out[:blockMax]
		}
		n, err := uncompressLZ4Block(block, out, dst, frameStart, flg)
		if err != nil && len(out) < blockMax {
			dst = slices.Grow(dst, blockMax)
			n, err = uncompressLZ4Block(block, dst[len(dst):len(dst)+blockMax], dst, frameStart, flg)
		}
		if err != nil {
			return dst, src, fmt.Errorf("LZ4 block: %w", err)
		}
		if n > room {
			return dst, src, ErrDecompressLimit
		}
		dst = dst[:len(dst)+n]
	}
	if flg&lz4FlagContentChecksum != 0 {
		if len(src) < 4 {
			return dst, src, errTruncated
		}
		if want, got := binary.LittleEndian.Uint32(src), xxh32(dst[frameStart:]); want != got {
			return dst, src, fmt.Errorf("LZ4 content checksum %#08x, computed %#08x", want, got)
		}
		src = src[4:]
	}
	if flg&lz4FlagContentSize != 0 && uint64(len(dst)-frameStart) != contentSize {
		return dst, src, fmt.Errorf("LZ4 frame holds %d bytes, its header says %d", len(dst)-frameStart, contentSize)
	}
	return dst, src, nil
}

// uncompressLZ4Block decodes one compressed block into out, which follows
// the frame's output so far in dst; linked blocks may refer back into up to
// 64 KiB of that output.
func uncompressLZ4Block(block, out, dst []byte, frameStart int, flg byte) (int, error) {
	if flg&lz4FlagBlockIndependence != 0 {
		return lz4.UncompressBlock(block, out)
	}
	return lz4.UncompressBlockWithDict(block, out, dst[max(frameStart, len(dst)-lz4WindowSize):])
}

// lz4FrameBound estimates the decoded size of the blocks at the front of
// src (a frame after its descriptor), to size the output once: stored
// blocks count as their size, compressed ones as at most 255 times theirs
// (LZ4's maximum expansion) and at most the maximum block size.
func lz4FrameBound(src []byte, flg byte, blockMax int) int {
	total := 0
	for len(src) >= 4 {
		word := binary.LittleEndian.Uint32(src)
		src = src[4:]
		size := int(word &^ lz4Uncompressed)
		if word == 0 || size > len(src) {
			break
		}
		if word&lz4Uncompressed != 0 {
			total += size
		} else {
			total += min(blockMax, size*255)
		}
		src = src[size:]
		if flg&lz4FlagBlockChecksum != 0 && len(src) >= 4 {
			src = src[4:]
		}
	}
	return total
}
