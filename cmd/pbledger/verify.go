package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/translog"
	"github.com/pbledger/pbledger/verify"
)

// Layout of a mirror's data directory, beside its log/.
const (
	mirrorDir         = "mirror"            // what the mirror knows of the log it copies
	mirrorKeyFile     = "verifier.key"      // the upstream log's verifier key, pinned on the first run
	mirrorSourceFile  = "source"            // the URL copied from
	mirrorCheckpoints = "checkpoints.jsonl" // the upstream's signed checkpoints, as served
)

// errVerifyFailed makes the command exit non-zero after it has printed its report.
var errVerifyFailed = errors.New("the log did not verify (see above)")

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// progressTo returns w if it is a terminal, else nil: long commands report progress only to people.
func progressTo(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return w
		}
	}
	return nil
}

// trustedState is what --trusted FILE keeps between runs: the key and the newest checkpoint verified.
type trustedState struct {
	VerifierKey string `json:"verifier_key"`
	Checkpoint  string `json:"checkpoint"`
	URL         string `json:"url,omitempty"`
	Verified    string `json:"verified,omitempty"`
}

func readTrusted(path string) (*trustedState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t trustedState
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("trusted state %s: %w", path, err)
	}
	return &t, nil
}

func writeTrusted(path string, t trustedState) error {
	b, _ := json.MarshalIndent(t, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "verify the log in this data directory (offline; the server must not be running on it)")
	baseURL := fs.String("url", "", "verify a server's log from its public API")
	trustedPath := fs.String("trusted", "", "file keeping the last verified checkpoint and key: the new log must extend it; updated when all checks pass")
	key := fs.String("key", "", "the log's verifier key (name+hash+key) to pin; a server or checkpoint signed by another key is refused")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*dataDir == "") == (*baseURL == "") {
		return errors.New("give exactly one of --data DIR or --url URL")
	}
	var trusted *trustedState
	if *trustedPath != "" {
		var err error
		if trusted, err = readTrusted(*trustedPath); err != nil {
			return err
		}
	}
	var rep *verify.Report
	var err error
	if *dataDir != "" {
		rep, err = verifyData(ctx, *dataDir, *key, trusted, stderr)
	} else {
		rep, err = verifyURL(ctx, *baseURL, *key, trusted, stderr)
	}
	if err != nil {
		return err
	}
	if rep.OK && *trustedPath != "" && rep.Latest != nil {
		t := trustedState{Checkpoint: rep.Latest.Note, URL: *baseURL, Verified: time.Now().UTC().Format(time.RFC3339)}
		t.VerifierKey = pinnedKey(*key, trusted, rep)
		if err := writeTrusted(*trustedPath, t); err != nil {
			return err
		}
	}
	printReport(stdout, rep, *asJSON)
	if !rep.OK {
		return errVerifyFailed
	}
	return nil
}

// pinnedKey is the key the report was verified with, to keep in the trusted state.
func pinnedKey(flagKey string, trusted *trustedState, rep *verify.Report) string {
	if flagKey != "" {
		return flagKey
	}
	if trusted != nil && trusted.VerifierKey != "" {
		return trusted.VerifierKey
	}
	for _, n := range rep.Notes {
		if k, ok := strings.CutPrefix(n, "verifier key: "); ok {
			return k
		}
	}
	return ""
}

func printReport(w io.Writer, rep *verify.Report, asJSON bool) {
	if asJSON {
		out := struct {
			*verify.Report
			Checkpoint *struct {
				Size int64     `json:"size"`
				Root tlog.Hash `json:"root"`
			} `json:"latest_checkpoint,omitempty"`
		}{Report: rep}
		if rep.Problems == nil {
			rep.Problems = []verify.Problem{}
		}
		if rep.Latest != nil {
			out.Checkpoint = &struct {
				Size int64     `json:"size"`
				Root tlog.Hash `json:"root"`
			}{rep.Latest.Size, rep.Latest.Root}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, n)
	}
	if rep.Events == 0 && !rep.OK {
		fmt.Fprintf(w, "FAILED before reading the log: %s\n", rep.Problems[0])
		return
	}
	fmt.Fprintf(w, "events: %d (tree size %d, root %s)\n", rep.Events, rep.TreeSize, rep.Root)
	fmt.Fprintf(w, "signed checkpoints checked: %d\n", rep.Checkpoints)
	if rep.Latest != nil && rep.OK {
		fmt.Fprintf(w, "latest verified checkpoint: %d events, root %s\n", rep.Latest.Size, rep.Latest.Root)
	}
	fmt.Fprintf(w, "allocations recounted: %d\n", rep.Allocations)
	fmt.Fprintf(w, "time: %.2fs (%.0f events/s)\n", rep.Seconds, rep.EventsPerS)
	if rep.OK && rep.Checkpoints == 0 {
		fmt.Fprintln(w, "OK: every event reads and decodes, every allocation recounts; no signed checkpoint was checked")
		return
	}
	if rep.OK {
		fmt.Fprintln(w, "OK: every event is in the signed tree, every checkpoint matches, every allocation recounts")
		return
	}
	fmt.Fprintf(w, "FAILED: %d problem(s); the first:\n", len(rep.Problems))
	for i, p := range rep.Problems {
		if i == 10 {
			fmt.Fprintf(w, "  … and %d more\n", len(rep.Problems)-10)
			break
		}
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// verifyData verifies a data directory: the operator's, or a mirror's.
func verifyData(ctx context.Context, dataDir, key string, trusted *trustedState, stderr io.Writer) (*verify.Report, error) {
	cpPath := filepath.Join(dataDir, translogDir, translog.CheckpointsFile)
	notes := []string{}
	if b, err := os.ReadFile(filepath.Join(dataDir, mirrorDir, mirrorKeyFile)); err == nil {
		// A mirror: check the upstream's checkpoints with the upstream's key.
		upstream := strings.TrimSpace(string(b))
		if key != "" && key != upstream {
			return &verify.Report{Problems: []verify.Problem{{Check: "key", Leaf: -1,
				What: fmt.Sprintf("the mirror was made from a log signed by %s, not the pinned key %s", upstream, key)}}}, nil
		}
		key = upstream
		cpPath = filepath.Join(dataDir, mirrorDir, mirrorCheckpoints)
		notes = append(notes, "a mirror: checking the upstream log's checkpoints")
	}
	if key == "" && trusted != nil {
		key = trusted.VerifierKey
	}
	unsigned := false
	if key == "" {
		_, vkey, err := loadKeyFile(filepath.Join(dataDir, logKeyFile))
		switch {
		case err == nil:
			key = vkey
			notes = append(notes, "no --key given: using the key in "+filepath.Join(dataDir, logKeyFile)+" (pin the published key with --key to check it is the same)")
		case errors.Is(err, os.ErrNotExist) && !exists(cpPath):
			// A log never served (imported, say) has neither a signing key nor checkpoints: there is no
			// signature to check, and everything else still is.
			unsigned = true
			notes = append(notes, "no signing key and no signed checkpoints in "+dataDir+": the log was never served; its events and allocations are checked, no signature")
		default:
			return nil, fmt.Errorf("no --key given and %v", err)
		}
	}
	if !unsigned {
		notes = append(notes, "verifier key: "+key)
	}
	stored, err := translog.ReadCheckpoints(cpPath, key)
	if err != nil {
		return &verify.Report{Notes: notes, Problems: []verify.Problem{{Check: "checkpoint", Leaf: -1, What: err.Error()}}}, nil
	}
	var cps []translog.SignedCheckpoint
	for _, c := range stored {
		cps = append(cps, c.SignedCheckpoint)
	}
	if trusted != nil {
		tc, err := translog.OpenCheckpoint([]byte(trusted.Checkpoint), key)
		if err != nil {
			return &verify.Report{Notes: notes, Problems: []verify.Problem{{Check: "key", Leaf: -1, What: "the trusted checkpoint does not open with the key: " + err.Error()}}}, nil
		}
		cps = append([]translog.SignedCheckpoint{tc}, cps...)
	}
	store, err := openStore(ctx, dataDir, stderr)
	if err != nil {
		var ce *filestore.CorruptionError
		if errors.As(err, &ce) {
			return &verify.Report{Notes: notes, Problems: []verify.Problem{{Check: "leaf", Leaf: -1, What: err.Error()}}}, nil
		}
		return nil, err
	}
	defer store.Close()
	ref, refSize := hashesReference(filepath.Join(dataDir, translogDir, translog.HashesFile))
	rep, err := verify.Log(ctx, store, verify.Options{Checkpoints: cps, Reference: ref, ReferenceSize: refSize, Progress: progressTo(stderr)})
	if err != nil {
		return nil, err
	}
	rep.Notes = append(notes, rep.Notes...)
	if len(stored) == 0 && !unsigned {
		rep.Notes = append(rep.Notes, "no signed checkpoints found in "+cpPath)
	}
	return rep, nil
}

// exists reports whether path names something (a file that cannot even be looked at counts as there).
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// loadKeyFile derives the verifier key from a signing-key file.
func loadKeyFile(path string) (string, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	s, vkey, err := translog.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return "", "", err
	}
	return s.Name(), vkey, nil
}

// hashesReference reads a tree's stored-hashes file as a tlog.HashReader, to name the first leaf that differs.
func hashesReference(path string) (tlog.HashReader, int64) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < tlog.HashSize {
		return nil, 0
	}
	count := int64(len(b) / tlog.HashSize)
	// The largest n whose stored hashes fit in the file.
	n := int64(0)
	for lo, hi := int64(0), count; lo <= hi; {
		mid := (lo + hi) / 2
		if tlog.StoredHashCount(mid) <= count {
			n, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= count {
				return nil, fmt.Errorf("stored hash %d is beyond the file", x)
			}
			copy(out[i][:], b[x*tlog.HashSize:])
		}
		return out, nil
	}), n
}

// verifyURL verifies a server's log from its public API: key, latest checkpoint, consistency with the
// trusted checkpoint, then a full copy into a temporary mirror checked like a data directory.
func verifyURL(ctx context.Context, baseURL, key string, trusted *trustedState, stderr io.Writer) (*verify.Report, error) {
	client := &verify.Client{URL: baseURL}
	served, err := client.Key(ctx)
	if err != nil {
		return nil, err
	}
	var notes []string
	if key == "" && trusted != nil {
		key = trusted.VerifierKey
	}
	if key == "" {
		key = served
		notes = append(notes, "no --key given: trusting the key the server serves on first use; pin it with --key or --trusted")
	}
	notes = append(notes, "verifier key: "+key)
	fail := func(p verify.Problem) (*verify.Report, error) {
		return &verify.Report{Notes: notes, Problems: []verify.Problem{p}}, nil
	}
	if served != key {
		return fail(verify.Problem{Check: "key", Leaf: -1, What: fmt.Sprintf("the server now signs with %s, not the pinned key %s: refusing its checkpoints", served, key)})
	}
	latest, err := client.Checkpoint(ctx, key)
	if err != nil {
		return fail(verify.Problem{Check: "checkpoint", Leaf: -1, What: "the latest checkpoint: " + err.Error()})
	}
	if trusted != nil && trusted.Checkpoint != "" {
		tc, err := translog.OpenCheckpoint([]byte(trusted.Checkpoint), key)
		if err != nil {
			return fail(verify.Problem{Check: "key", Leaf: -1, What: "the trusted checkpoint does not open with the key: " + err.Error()})
		}
		if tc.Size > latest.Size {
			return fail(verify.Problem{Check: "consistency", Leaf: latest.Size, What: fmt.Sprintf("your trusted checkpoint has %d events, the server's latest only %d: the log shrank", tc.Size, latest.Size)})
		}
		proof, err := client.Consistency(ctx, tc.Size, latest.Size)
		if err == nil {
			err = tlog.CheckTree(proof, latest.Size, latest.Root, tc.Size, tc.Root)
		}
		if err != nil {
			return fail(verify.Problem{Check: "consistency", Leaf: -1, What: fmt.Sprintf("the server's log of %d events (root %s) is not an extension of your trusted checkpoint of %d events (root %s): the history was rewritten (a fork) — %v", latest.Size, latest.Root, tc.Size, tc.Root, err)})
		}
		notes = append(notes, fmt.Sprintf("consistent with your trusted checkpoint of %d events", tc.Size))
	}
	tmp, err := os.MkdirTemp("", "pbledger-verify-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	store, err := filestore.Open(ctx, filepath.Join(tmp, logDir), filestore.Options{Logger: quietLogger()})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	m := &verify.Mirror{Client: client, Store: store, VerifierKey: key, Progress: progressTo(stderr)}
	res, err := m.Run(ctx)
	var pe *verify.ProblemError
	if errors.As(err, &pe) {
		return fail(pe.Problem)
	}
	if err != nil {
		return nil, err
	}
	cps, err := client.Checkpoints(ctx, key)
	if err != nil {
		return fail(verify.Problem{Check: "checkpoint", Leaf: -1, What: err.Error()})
	}
	var within []translog.SignedCheckpoint
	for _, c := range cps {
		if c.Size <= res.Size {
			within = append(within, c)
		}
	}
	if res.Latest.Size == res.Size {
		within = append(within, res.Latest)
	}
	rep, err := verify.Log(ctx, store, verify.Options{Checkpoints: within, Progress: progressTo(stderr)})
	if err != nil {
		return nil, err
	}
	rep.Notes = append(notes, rep.Notes...)
	if res.Size < res.Latest.Size {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d ballots are withheld while their cycle's voting is open: leaves %d to %d were checked against the signed checkpoint by hash, but only the first %d events were copied, replayed and recounted; verify again after voting closes",
			res.Withheld, res.Size, res.Latest.Size-1, res.Size))
	}
	rep.Latest = &res.Latest
	return rep, nil
}

func runMirror(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mirror", flag.ContinueOnError)
	fs.SetOutput(stderr)
	baseURL := fs.String("url", "", "the server whose public log to copy")
	dataDir := fs.String("data", "", "the mirror's data directory (created if missing; a later run continues it)")
	key := fs.String("key", "", "the log's verifier key to pin (default: the one the server serves, pinned on the first run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *baseURL == "" || *dataDir == "" {
		return errors.New("--url and --data are required")
	}
	dir := filepath.Join(*dataDir, mirrorDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	client := &verify.Client{URL: *baseURL}
	served, err := client.Key(ctx)
	if err != nil {
		return err
	}
	pinned := *key
	if b, err := os.ReadFile(filepath.Join(dir, mirrorKeyFile)); err == nil {
		saved := strings.TrimSpace(string(b))
		if pinned != "" && pinned != saved {
			return fmt.Errorf("this mirror copies a log signed by %s, not %s", saved, pinned)
		}
		pinned = saved
	}
	if pinned == "" {
		pinned = served
	}
	if served != pinned {
		return fmt.Errorf("the server now signs with %s, not the pinned key %s: refusing to copy", served, pinned)
	}
	if err := os.WriteFile(filepath.Join(dir, mirrorKeyFile), []byte(pinned+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, mirrorSourceFile), []byte(*baseURL+"\n"), 0o644); err != nil {
		return err
	}
	store, err := filestore.Open(ctx, filepath.Join(*dataDir, logDir), filestore.Options{Logger: quietLogger()})
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	m := &verify.Mirror{Client: client, Store: store, VerifierKey: pinned, Progress: progressTo(stderr)}
	res, err := m.Run(ctx)
	if err != nil {
		return err
	}
	// Keep the upstream's checkpoints that the copy reaches, for `verify --data` on the mirror.
	cps, err := client.Checkpoints(ctx, pinned)
	if err != nil {
		return err
	}
	var lines []byte
	for _, c := range cps {
		if c.Size > res.Size {
			continue
		}
		line, _ := json.Marshal(translog.Record{Size: c.Size, Note: c.Note})
		lines = append(append(lines, line...), '\n')
	}
	tmp := filepath.Join(dir, mirrorCheckpoints+".tmp")
	if err := os.WriteFile(tmp, lines, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, mirrorCheckpoints)); err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "mirrored %d new events (%d in all, %.0f events/s); verified against the checkpoint of %d events, root %s\n",
		res.Copied, res.Size, float64(res.Copied)/max(el, 1e-9), res.Latest.Size, res.Latest.Root)
	if res.Size < res.Latest.Size {
		fmt.Fprintf(stdout, "stopped before leaf %d: %d ballots are withheld while their cycle's voting is open (checked by hash); run mirror again after voting closes\n", res.Size, res.Withheld)
	}
	return nil
}
