// Package translog keeps a transparency log over an event store: a Merkle tree (RFC 6962 hashing, built with
// golang.org/x/mod/sumdb/tlog) whose leaf i is the i-th event of the store's global order, and signed
// checkpoints of it (C2SP tlog-checkpoint in a C2SP signed note, Ed25519).
//
// The tree is derived data: a Follower builds it from the store through ReadAll (or, if the store has it,
// eventstore.AllScanner, which saves copying every event) and SubscribeAll, so it works on any backend, and
// the hashes it keeps on disk are checked against the log on every start. Appends never wait for
// it. The leaf encoding (AppendLeaf) is independent of the backend and documented in docs/VERIFY.md; the
// auditor's verifier uses this package and nothing of the server.
package translog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
)

// leafVersion is the first byte of every leaf: the version of the encoding.
const leafVersion = 1

// AppendLeaf appends the canonical encoding of e — the bytes of its leaf — to dst and returns the result:
//
//	0x01 (version) | stream | revision | event ID (16 bytes) | type | data | metadata | recorded time
//
// where stream, type, data and metadata are each a uvarint length followed by the bytes, revision is a
// uvarint, and the recorded time is Unix nanoseconds (UTC) as 8 bytes big-endian. The store's position is not
// in it: it depends on the backend.
func AppendLeaf(dst []byte, e *eventstore.RecordedEvent) []byte {
	dst = append(dst, leafVersion)
	dst = binary.AppendUvarint(dst, uint64(len(e.StreamID)))
	dst = append(dst, e.StreamID...)
	dst = binary.AppendUvarint(dst, uint64(e.Revision))
	dst = append(dst, e.ID[:]...)
	dst = binary.AppendUvarint(dst, uint64(len(e.Type)))
	dst = append(dst, e.Type...)
	dst = binary.AppendUvarint(dst, uint64(len(e.Data)))
	dst = append(dst, e.Data...)
	dst = binary.AppendUvarint(dst, uint64(len(e.Metadata)))
	dst = append(dst, e.Metadata...)
	return binary.BigEndian.AppendUint64(dst, uint64(e.Recorded.UnixNano()))
}

// LeafHash is the RFC 6962 leaf hash of e: SHA-256 of 0x00 followed by AppendLeaf's bytes.
func LeafHash(e *eventstore.RecordedEvent) tlog.Hash {
	// One allocation of the right size: a ballot's answer hashes its leaf (its receipt), so this is on the
	// write path.
	size := 1 + 4*binary.MaxVarintLen64 + len(e.StreamID) + binary.MaxVarintLen64 + 16 + len(e.Type) + len(e.Data) + len(e.Metadata) + 8
	return tlog.RecordHash(AppendLeaf(make([]byte, 0, size), e))
}

// ErrBadLeaf is returned by DecodeLeaf for bytes that are not a leaf.
var ErrBadLeaf = errors.New("translog: malformed leaf")

// DecodeLeaf parses a leaf's bytes back into the event they encode. Position is left zero: the leaf does not
// hold it.
func DecodeLeaf(b []byte) (eventstore.RecordedEvent, error) {
	var e eventstore.RecordedEvent
	if len(b) == 0 || b[0] != leafVersion {
		return e, fmt.Errorf("%w: unknown version", ErrBadLeaf)
	}
	b = b[1:]
	bytesField := func(name string) ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, fmt.Errorf("%w: %s", ErrBadLeaf, name)
		}
		v := b[k : k+int(n)]
		b = b[k+int(n):]
		return v, nil
	}
	stream, err := bytesField("stream")
	if err != nil {
		return e, err
	}
	rev, k := binary.Uvarint(b)
	if k <= 0 || len(b)-k < 16 {
		return e, fmt.Errorf("%w: revision or id", ErrBadLeaf)
	}
	b = b[k:]
	id, _ := uuid.FromBytes(b[:16])
	b = b[16:]
	typ, err := bytesField("type")
	if err != nil {
		return e, err
	}
	data, err := bytesField("data")
	if err != nil {
		return e, err
	}
	meta, err := bytesField("metadata")
	if err != nil {
		return e, err
	}
	if len(b) != 8 {
		return e, fmt.Errorf("%w: recorded time", ErrBadLeaf)
	}
	e.StreamID, e.Revision, e.ID, e.Type = string(stream), eventstore.Revision(rev), id, string(typ)
	e.Data = append([]byte(nil), data...)
	if len(meta) > 0 {
		e.Metadata = append([]byte(nil), meta...)
	}
	e.Recorded = time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
	return e, nil
}
