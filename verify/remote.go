package verify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/translog"
)

// Client reads a pbledger server's public transparency-log API (docs/API.md, "Transparency log").
type Client struct {
	// URL is the server's base URL, e.g. https://pb.example.org.
	URL  string
	HTTP *http.Client
}

func (c *Client) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := strings.TrimRight(c.URL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("verify: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("verify: GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("verify: GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// Key returns the verifier key the server publishes.
func (c *Client) Key(ctx context.Context) (string, error) {
	b, err := c.get(ctx, "/v1/log/key", nil)
	return strings.TrimSpace(string(b)), err
}

// Checkpoint returns the server's latest checkpoint, checked against verifierKey.
func (c *Client) Checkpoint(ctx context.Context, verifierKey string) (translog.SignedCheckpoint, error) {
	b, err := c.get(ctx, "/v1/log/checkpoint", nil)
	if err != nil {
		return translog.SignedCheckpoint{}, err
	}
	return translog.OpenCheckpoint(b, verifierKey)
}

// Checkpoints returns every checkpoint the server keeps, each checked against verifierKey.
func (c *Client) Checkpoints(ctx context.Context, verifierKey string) ([]translog.SignedCheckpoint, error) {
	b, err := c.get(ctx, "/v1/log/checkpoints", nil)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Checkpoints []struct {
			Note string `json:"note"`
		} `json:"checkpoints"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return nil, fmt.Errorf("verify: checkpoints: %w", err)
	}
	var out []translog.SignedCheckpoint
	for _, x := range ans.Checkpoints {
		sc, err := translog.OpenCheckpoint([]byte(x.Note), verifierKey)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// Consistency returns the proof that the tree of size from is a prefix of the tree of size to.
func (c *Client) Consistency(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
	b, err := c.get(ctx, "/v1/log/consistency", url.Values{"from": {strconv.FormatInt(from, 10)}, "to": {strconv.FormatInt(to, 10)}})
	if err != nil {
		return nil, err
	}
	var ans struct {
		Proof tlog.TreeProof `json:"proof"`
	}
	return ans.Proof, json.Unmarshal(b, &ans)
}

// Inclusion returns the proof that leaf is in the tree of size size.
func (c *Client) Inclusion(ctx context.Context, leaf, size int64) (tlog.RecordProof, error) {
	b, err := c.get(ctx, "/v1/log/inclusion", url.Values{"leaf": {strconv.FormatInt(leaf, 10)}, "size": {strconv.FormatInt(size, 10)}})
	if err != nil {
		return nil, err
	}
	var ans struct {
		Proof tlog.RecordProof `json:"proof"`
	}
	return ans.Proof, json.Unmarshal(b, &ans)
}

// Leaf is a leaf as the server serves it: its canonical bytes, or, for a ballot withheld while voting is
// open, only its hash.
type Leaf struct {
	Bytes    []byte
	Hash     tlog.Hash
	Withheld bool
}

// Leaves returns leaves start..end-1.
func (c *Client) Leaves(ctx context.Context, start, end int64) ([]Leaf, error) {
	b, err := c.get(ctx, "/v1/log/leaves", url.Values{"start": {strconv.FormatInt(start, 10)}, "end": {strconv.FormatInt(end, 10)}})
	if err != nil {
		return nil, err
	}
	var out []Leaf
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l struct {
			Leaf     int64      `json:"leaf"`
			Bytes    []byte     `json:"bytes"`
			Hash     *tlog.Hash `json:"hash"`
			Withheld bool       `json:"withheld"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("verify: leaves: %w", err)
		}
		if l.Leaf != start+int64(len(out)) {
			return nil, fmt.Errorf("verify: leaves: the server sent leaf %d where %d was due", l.Leaf, start+int64(len(out)))
		}
		switch {
		case l.Withheld && l.Hash != nil:
			out = append(out, Leaf{Hash: *l.Hash, Withheld: true})
		case !l.Withheld && len(l.Bytes) > 0:
			out = append(out, Leaf{Bytes: l.Bytes, Hash: tlog.RecordHash(l.Bytes)})
		default:
			return nil, fmt.Errorf("verify: leaves: leaf %d has neither bytes nor a withheld hash", l.Leaf)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("verify: leaves: asked for %d, got %d", end-start, len(out))
	}
	return out, nil
}

// ProblemError is an error that is a discrepancy the verifier found (not a failure to run).
type ProblemError struct{ Problem Problem }

func (e *ProblemError) Error() string { return e.Problem.String() }

// Importer is a store that can take another store's events as they are (filestore.Store.Import).
type Importer interface {
	eventstore.Store
	Import(ctx context.Context, events []eventstore.RecordedEvent) error
}

// Mirror copies a server's log into a local store, leaf by leaf in pages, checking every page against the
// server's latest signed checkpoint before it is stored. It resumes where the local store ends: the local
// copy's tree must then be a prefix of the server's (a consistency proof), or it stops.
type Mirror struct {
	Client      *Client
	Store       Importer
	VerifierKey string
	// Page is how many leaves are fetched and stored at once (default 5000).
	Page     int
	Progress io.Writer
}

// MirrorResult is what a mirror run did.
type MirrorResult struct {
	Copied int64 // leaves copied by this run
	Size   int64 // leaves in the local copy now
	Latest translog.SignedCheckpoint
	// Withheld counts the ballots served as hashes only (their cycle hides ballots while voting is open).
	// The copy stops before the first of them; all leaves up to Latest.Size were checked against it.
	Withheld int64
}

// Run copies the log up to the server's latest checkpoint.
func (m *Mirror) Run(ctx context.Context) (MirrorResult, error) {
	page := m.Page
	if page <= 0 {
		page = 5000
	}
	tree := translog.NewTree()
	b := translog.NewBuilder(tree)
	for from := eventstore.Position(0); ; {
		recs, err := m.Store.ReadAll(ctx, from, 4096)
		if err != nil {
			return MirrorResult{}, err
		}
		if len(recs) == 0 {
			break
		}
		for i := range recs {
			if err := b.Add(&recs[i]); err != nil {
				return MirrorResult{}, err
			}
		}
		b.Flush()
		from = recs[len(recs)-1].Position + 1
	}
	local := tree.Size()
	cp, err := m.Client.Checkpoint(ctx, m.VerifierKey)
	if err != nil {
		return MirrorResult{}, err
	}
	res := MirrorResult{Latest: cp, Size: local}
	if local > cp.Size {
		return res, &ProblemError{Problem{Check: "consistency", Leaf: cp.Size, What: fmt.Sprintf("the local copy holds %d events but the server's latest checkpoint only %d: the server's log shrank", local, cp.Size)}}
	}
	if local > 0 {
		if err := m.checkPrefix(ctx, tree, local, cp); err != nil {
			return res, err
		}
	}
	blocked := false // a withheld leaf was met: the copy cannot go past it, the check goes on by hash
	for start := local; start < cp.Size; {
		end := min(start+int64(page), cp.Size)
		leaves, err := m.Client.Leaves(ctx, start, end)
		if err != nil {
			return res, err
		}
		var events []eventstore.RecordedEvent
		for i, l := range leaves {
			if l.Withheld {
				blocked = true
				res.Withheld++
			} else {
				e, err := translog.DecodeLeaf(l.Bytes)
				if err != nil {
					return res, &ProblemError{Problem{Check: "leaf", Leaf: start + int64(i), What: fmt.Sprintf("the server sent bytes that are not a leaf: %v", err)}}
				}
				if !blocked {
					events = append(events, e)
				}
			}
			if err := b.AddHash(l.Hash, eventstore.Position(start+int64(i)+1)); err != nil {
				return res, err
			}
		}
		b.Flush()
		if err := m.checkPrefix(ctx, tree, end, cp); err != nil {
			return res, m.locate(ctx, err, leaves, start, cp)
		}
		if len(events) > 0 {
			if err := m.Store.Import(ctx, events); err != nil {
				return res, fmt.Errorf("verify: store leaves %d..%d: %w", start, start+int64(len(events))-1, err)
			}
			res.Copied += int64(len(events))
			res.Size = start + int64(len(events))
		}
		start = end
		if m.Progress != nil {
			fmt.Fprintf(m.Progress, "\rchecked %d of %d events, copied %d", end, cp.Size, res.Size)
		}
	}
	if m.Progress != nil && res.Copied > 0 {
		fmt.Fprintln(m.Progress)
	}
	return res, nil
}

// checkPrefix checks that the local tree's first n leaves are a prefix of the checkpoint's tree.
func (m *Mirror) checkPrefix(ctx context.Context, tree *translog.Tree, n int64, cp translog.SignedCheckpoint) error {
	root, err := tree.Root(n)
	if err != nil {
		return err
	}
	if n == cp.Size {
		if root != cp.Root {
			return &ProblemError{Problem{Check: "checkpoint", Leaf: -1, What: fmt.Sprintf("the %d events served give root %s, the signed checkpoint says %s", n, root, cp.Root)}}
		}
		return nil
	}
	proof, err := m.Client.Consistency(ctx, n, cp.Size)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, cp.Size, cp.Root, n, root); err != nil {
		return &ProblemError{Problem{Check: "consistency", Leaf: -1, What: fmt.Sprintf("the first %d events (root %s) are not a prefix of the signed checkpoint of %d events: the history served was rewritten (a fork)", n, root, cp.Size)}}
	}
	return nil
}

// locate names the first leaf of a page whose bytes the server cannot prove to be in its checkpoint.
func (m *Mirror) locate(ctx context.Context, cause error, leaves []Leaf, start int64, cp translog.SignedCheckpoint) error {
	var pe *ProblemError
	if !errors.As(cause, &pe) {
		return cause
	}
	for i, l := range leaves {
		leaf := start + int64(i)
		proof, err := m.Client.Inclusion(ctx, leaf, cp.Size)
		if err == nil && tlog.CheckRecord(proof, cp.Size, cp.Root, leaf, l.Hash) == nil {
			continue
		}
		p := Problem{Check: "leaf", Leaf: leaf, What: "the event served here is not the one the signed checkpoint holds: " + pe.Problem.What}
		if e, err := translog.DecodeLeaf(l.Bytes); err == nil {
			p.Stream, p.Revision = e.StreamID, e.Revision
		}
		return &ProblemError{p}
	}
	return cause
}
