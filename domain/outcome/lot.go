package outcome

import (
	"bytes"
	"crypto/sha256"
	"slices"
)

// LotOrder returns ids in the order the lot puts them: ascending by SHA-256(seed + "\x00" + id), the digest
// compared as a big-endian number (bytewise). Identical ids stay together.
//
// The lot is the last tie-break. Deriving it from a seed that is drawn and recorded before counting, instead
// of from a random number generator at counting time, lets anyone recompute the outcome later and get the
// same order, while nobody can steer it: the seed is fixed before the tie is known. The "\x00" separator keeps
// seed and id from running into each other ("a"+"bc" vs "ab"+"c").
func LotOrder(seed string, ids []string) []string {
	type keyed struct {
		id  string
		key [sha256.Size]byte
	}
	ks := make([]keyed, len(ids))
	for i, id := range ids {
		ks[i] = keyed{id: id, key: lotKey(seed, id)}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
			return c
		}
		return cmpString(a.id, b.id)
	})
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.id
	}
	return out
}

func lotKey(seed, id string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(seed))
	h.Write([]byte{0})
	h.Write([]byte(id))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
