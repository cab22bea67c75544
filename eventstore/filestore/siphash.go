package filestore

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"

	"github.com/google/uuid"
)

// hashKey is the secret key of the hashes of stream names and event IDs. Both come from clients (esdbapi
// accepts the client's event UUIDs; the application names streams), and the tables find entries by hash:
// with a fixed, public hash a client could make any number of names or IDs share one hash and turn every
// lookup (made under the store's lock) and every merge of the index into a scan of all of them. The key is
// drawn at random when a store starts without an index file and is then kept in the index file's header,
// so that the file's tables, sorted by hash, stay usable by the next process; an attacker who cannot read
// the data directory cannot predict the hashes.
type hashKey struct{ k0, k1 uint64 }

// newHashKey draws a key from the operating system's random source.
func newHashKey() hashKey {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("filestore: no random source: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return hashKey{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
}

// sipHash is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) of b under k:
// a keyed pseudorandom function built for exactly this (hash tables fed by untrusted input), fast on short
// inputs (a 16-byte event ID costs about as much as the FNV-1a of a 20-byte name did), and reproducible
// from the key alone, unlike hash/maphash, whose seeds cannot be stored.
func sipHash[T string | []byte](k hashKey, b T) uint64 {
	v0 := k.k0 ^ 0x736f6d6570736575
	v1 := k.k1 ^ 0x646f72616e646f6d
	v2 := k.k0 ^ 0x6c7967656e657261
	v3 := k.k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(b)
	i := 0
	for ; i+8 <= n; i += 8 {
		m := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		v3 ^= m
		round()
		round()
		v0 ^= m
	}
	m := uint64(n) << 56
	for j := 0; i+j < n; j++ {
		m |= uint64(b[i+j]) << (8 * j)
	}
	v3 ^= m
	round()
	round()
	v0 ^= m
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}

// hashName is the hash of stream names in the tail's table and in the index file.
func hashName(k hashKey, name string) uint64 { return sipHash(k, name) }

// hashID is the hash of event IDs in the index file.
func hashID(k hashKey, id uuid.UUID) uint64 { return sipHash(k, id[:]) }

// streamHash and idHash are the hashes in use; tests replace them with poor ones to exercise collisions.
var (
	streamHash = hashName
	idHash     = hashID
)
