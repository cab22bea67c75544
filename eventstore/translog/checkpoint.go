package translog

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a C2SP tlog-checkpoint: the log's origin (its name), a tree size and the root hash of the
// tree of that size.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text is the checkpoint's body as C2SP tlog-checkpoint writes it: origin, size and base64 root hash, one a
// line.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint parses a checkpoint body (the text of a signed note, without signatures).
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return Checkpoint{}, errors.New("translog: a checkpoint has an origin, a size and a root hash, one a line")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("translog: checkpoint size %q", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("translog: checkpoint root hash %q", lines[2])
	}
	c := Checkpoint{Origin: lines[0], Size: n}
	copy(c.Root[:], raw)
	return c, nil
}

// SignedCheckpoint is a checkpoint and the signed note that carries it.
type SignedCheckpoint struct {
	Checkpoint
	// Note is the whole signed note: the checkpoint's text, a blank line and the signature lines.
	Note string
}

// Sign signs c as a C2SP signed note.
func Sign(c Checkpoint, signer note.Signer) (SignedCheckpoint, error) {
	msg, err := note.Sign(&note.Note{Text: c.Text()}, signer)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("translog: sign checkpoint: %w", err)
	}
	return SignedCheckpoint{Checkpoint: c, Note: string(msg)}, nil
}

// OpenCheckpoint checks a signed note against the verifier key and parses the checkpoint in it. It fails if the
// note is not signed by that key, or if the checkpoint's origin is not the key's name.
func OpenCheckpoint(signed []byte, verifierKey string) (SignedCheckpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("translog: verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("translog: checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	if c.Origin != v.Name() {
		return SignedCheckpoint{}, fmt.Errorf("translog: checkpoint of log %q signed by key %q", c.Origin, v.Name())
	}
	return SignedCheckpoint{Checkpoint: c, Note: string(signed)}, nil
}
