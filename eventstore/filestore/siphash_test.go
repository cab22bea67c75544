package filestore

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// The test vectors of the SipHash paper (appendix A) and its reference implementation: key 00 01 … 0f,
// messages 00 01 … (n-1).
func TestSipHashVectors(t *testing.T) {
	var kb [16]byte
	for i := range kb {
		kb[i] = byte(i)
	}
	k := hashKey{binary.LittleEndian.Uint64(kb[:8]), binary.LittleEndian.Uint64(kb[8:])}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	for _, c := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{15, 0xa129ca6149be45e5},
	} {
		if got := sipHash(k, msg[:c.n]); got != c.want {
			t.Errorf("SipHash-2-4 of %d bytes = %#x, want %#x", c.n, got, c.want)
		}
		if got := sipHash(k, string(msg[:c.n])); got != c.want {
			t.Errorf("SipHash-2-4 of a %d-byte string = %#x, want %#x", c.n, got, c.want)
		}
	}
}

var sinkHash uint64

// BenchmarkHashes compares the keyed hash with the unkeyed ones of index version 3 and with a truncated
// SHA-256 (another keyed construction one could use), on an event ID and a typical stream name.
func BenchmarkHashes(b *testing.B) {
	k := newHashKey()
	id := oldCollidingID(1, 2)
	name := "ballot-0123456789abcdef"
	b.Run("siphash-id", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkHash += hashID(k, id)
		}
	})
	b.Run("siphash-name", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkHash += hashName(k, name)
		}
	})
	b.Run("splitmix-id-unkeyed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkHash += splitMix(binary.LittleEndian.Uint64(id[:8]) ^ splitMix(binary.LittleEndian.Uint64(id[8:])))
		}
	})
	b.Run("fnv-name-unkeyed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sinkHash += oldFNV(name)
		}
	})
	b.Run("sha256-name-keyed", func(b *testing.B) {
		var buf [16 + 64]byte
		binary.LittleEndian.PutUint64(buf[:], k.k0)
		binary.LittleEndian.PutUint64(buf[8:], k.k1)
		for i := 0; i < b.N; i++ {
			n := copy(buf[16:], name)
			sum := sha256.Sum256(buf[:16+n])
			sinkHash += binary.LittleEndian.Uint64(sum[:])
		}
	})
}
