package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/esdbapi"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/esdbstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	pbhttp "github.com/pbledger/pbledger/http"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/personal"
	"github.com/pbledger/pbledger/projections"
)

// Layout of a data directory.
const (
	logDir         = "log"                        // the event store's segments
	checkpointFile = "projections/checkpoint.gob" // the read model's checkpoint
	personalKeys   = "personal-keys"              // authors' personal-data keys, outside the log (erasable)
	tokensFile     = "tokens.json"                // bearer-token hashes and their principals
	secretFile     = "voter-key.secret"           // the key of the voter-key HMAC; never in the log
	demoTokensFile = "demo-tokens.txt"            // with --demo: the demo tokens in plain text, for trying the API
	grpcCertFile   = "grpc/cert.pem"              // with --grpc-addr: the endpoint's TLS certificate (generated if missing)
	grpcKeyFile    = "grpc/key.pem"               // and its key
)

// server is `pbledger serve`: ParseFlags, Run, Close.
type server struct {
	dataDir, addr, tokensPath, secretPath string
	demo                                  bool
	cpuProfile                            string
	memProfile                            string
	drain                                 time.Duration
	calendarEvery                         time.Duration
	logKey, logOrigin                     string
	signEvery                             time.Duration
	transparency                          bool
	tokensPoll                            time.Duration
	log                                   *slog.Logger
	// storeSpec is --store: empty for the file store in DATA/log, or a KurrentDB connection string.
	storeSpec                   string
	grpcAddr, grpcCert, grpcKey string
	personalKeysDir             string // --personal-keys

	store        eventstore.Store
	listener     net.Listener
	grpcListener net.Listener
	// Ready is closed when the server accepts requests (tests wait on it).
	ready chan struct{}
}

func (m *server) ParseFlags(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&m.dataDir, "data", "./data", "data directory (the event log, checkpoints, tokens)")
	fs.StringVar(&m.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&m.tokensPath, "tokens", "", "tokens file (default DATA/"+tokensFile+")")
	fs.StringVar(&m.secretPath, "voter-secret", "", "file holding the voter-key secret (default DATA/"+secretFile+", created if missing)")
	fs.BoolVar(&m.demo, "demo", false, "on an empty data directory, load the Almaty demo cycles and write demo tokens")
	fs.DurationVar(&m.tokensPoll, "tokens-poll", 250*time.Millisecond, "how often to check the tokens file for changes (0: only on SIGHUP)")
	fs.DurationVar(&m.drain, "drain", 30*time.Second, "how long SIGTERM waits for requests in flight")
	fs.DurationVar(&m.calendarEvery, "calendar-every", time.Second, "how often to advance phases whose scheduled date has come (0: never; an admin advances them)")
	fs.StringVar(&m.logKey, "log-key", "", "file holding the checkpoint signing key (default DATA/"+logKeyFile+", created if missing)")
	fs.StringVar(&m.logOrigin, "log-origin", defaultOrigin, "the transparency log's name, in its checkpoints and key (used when the key is made)")
	fs.DurationVar(&m.signEvery, "sign-every", 2*time.Second, "sign a checkpoint at most this often while the log grows (and always right after an allocation)")
	fs.BoolVar(&m.transparency, "transparency", true, "keep the transparency log (tree, checkpoints, receipts); turn off only to measure its cost")
	fs.StringVar(&m.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (for performance work)")
	fs.StringVar(&m.memProfile, "memprofile", "", "write a heap profile to this file at shutdown (for performance work)")
	fs.StringVar(&m.storeSpec, "store", "", "event store: empty for the embedded file store in DATA/log, or a KurrentDB connection string (esdb://HOST:PORT?tls=false, esdb://USER:PASS@N1:2113,N2:2113,N3:2113?tlsCAFile=ca.pem, …)")
	fs.StringVar(&m.personalKeysDir, "personal-keys", "", "directory of authors' personal-data keys (default DATA/"+personalKeys+"); servers sharing a store must share it")
	fs.StringVar(&m.grpcAddr, "grpc-addr", "", "also serve the KurrentDB gRPC API (Streams, ServerFeatures) over TLS on this address")
	fs.StringVar(&m.grpcCert, "grpc-cert", "", "TLS certificate (PEM) of the gRPC endpoint (default DATA/"+grpcCertFile+", generated if missing)")
	fs.StringVar(&m.grpcKey, "grpc-key", "", "TLS key (PEM) of the gRPC endpoint (default DATA/"+grpcKeyFile+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if m.tokensPath == "" {
		m.tokensPath = filepath.Join(m.dataDir, tokensFile)
	}
	if m.secretPath == "" {
		m.secretPath = filepath.Join(m.dataDir, secretFile)
	}
	if m.personalKeysDir == "" {
		m.personalKeysDir = filepath.Join(m.dataDir, personalKeys)
	}
	if m.grpcCert == "" {
		m.grpcCert = filepath.Join(m.dataDir, grpcCertFile)
	}
	if m.grpcKey == "" {
		m.grpcKey = filepath.Join(m.dataDir, grpcKeyFile)
	}
	m.ready = make(chan struct{})
	return nil
}

// Run serves until ctx ends, then drains requests in flight, writes the read model's checkpoint and
// closes the store.
func (m *server) Run(ctx context.Context) (err error) {
	if m.log == nil {
		m.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	// SIGHUP reloads the tokens file. It is caught from the start and for the rest of the process (never
	// handed back to the default action, which ends the process): a SIGHUP must never kill the server.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	// The port first: a server that cannot listen must fail before it creates anything in the data
	// directory (a log, a voter secret, demo tokens).
	m.listener, err = net.Listen("tcp", m.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.addr, err)
	}
	defer m.listener.Close() // Serve closes it too; this covers the paths that fail before serving
	if m.cpuProfile != "" {
		f, err := os.Create(m.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if m.memProfile != "" {
		defer func() {
			f, ferr := os.Create(m.memProfile)
			if ferr != nil {
				m.log.Error("heap profile", "err", ferr)
				return
			}
			defer f.Close()
			runtime.GC() // the profile shows what is live, not what awaits collection
			if ferr := pprof.Lookup("heap").WriteTo(f, 0); ferr != nil {
				m.log.Error("heap profile", "err", ferr)
			}
		}()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promauto.With(reg).NewGaugeVec(prometheus.GaugeOpts{
		Name: "pbledger_build_info",
		Help: "Always 1; the labels say which build is running.",
	}, []string{"version", "goversion"}).WithLabelValues(buildVersion(), runtime.Version()).Set(1)
	commitMetrics := newCommitMetrics(reg)
	storeHealth := newStoreHealthCollector()
	reg.MustRegister(storeHealth)

	m.store, err = openServeStore(ctx, m.storeSpec, m.dataDir, filestore.Options{Logger: m.log, OnCommit: commitMetrics})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := m.store.Close(); err == nil {
			err = cerr
		}
	}()
	storeHealth.health.Store(healthOf(m.store))
	head, err := m.store.Head(ctx)
	if err != nil {
		return err
	}
	if m.demo && head == 0 {
		if err := writeDemoTokens(m.dataDir, m.tokensPath); err != nil {
			return err
		}
	}
	tokens, err := pbhttp.LoadTokens(m.tokensPath)
	if errors.Is(err, os.ErrNotExist) {
		m.log.Warn("no tokens file: the API is read-only until one exists (see `pbledger token`)", "file", m.tokensPath)
		tokens, err = pbhttp.ParseTokens(emptyTokens())
	}
	if err != nil {
		return err
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		watchTokens(watchCtx, m.tokensPath, tokens, m.tokensPoll, hup, m.log)
	}()
	defer func() {
		stopWatching()
		<-watching
	}()
	voters, err := loadVoterSecret(m.secretPath)
	if err != nil {
		return err
	}
	vault, err := personal.Open(m.personalKeysDir)
	if err != nil {
		return err
	}

	var tlog *pbhttp.Transparency
	var tlogErrs chan error
	if m.transparency {
		tl, err := startTransparency(m.store, m.dataDir, m.logKey, m.logOrigin, m.signEvery, m.log)
		if err != nil {
			return err
		}
		defer tl.stop()
		tlog, tlogErrs = tl.log, tl.errs
		reg.MustRegister(newTranslogCollector(tl.log.Tree, tl.log.Notary))
	} else {
		m.log.Warn("the transparency log is off: no checkpoints are signed and ballots get no receipts")
	}

	model := projections.NewModel()
	reg.MustRegister(projections.NewCollector(model, m.store), projections.NewCalendarCollector(model), newDiskCollector(m.dataDir))
	runner := &projections.Runner{Store: m.store, Model: model, CheckpointPath: filepath.Join(m.dataDir, checkpointFile), Logger: m.log}
	runCtx, stopRunner := context.WithCancel(context.Background())
	// The read model keeps no ballots of allocated districts; it reads them through the district's index.
	model.SetInputSource(func(c domain.CycleID, d domain.DistrictID, until eventstore.Position) ([]*domain.Proposal, []*domain.Ballot, error) {
		return ledger.DistrictInput(runCtx, m.store, c, d, until)
	})
	caughtUp := make(chan struct{})
	runnerDone := make(chan error, 1)
	go func() { runnerDone <- runner.Run(runCtx, func() { close(caughtUp) }) }()
	defer func() {
		stopRunner()
		if rerr := <-runnerDone; err == nil {
			err = rerr
		}
	}()
	select {
	case <-caughtUp:
	case err := <-runnerDone:
		runnerDone <- err
		return fmt.Errorf("read model: %w", err)
	case <-ctx.Done():
		return nil
	}

	// Districts of cycles opened before indexes are reindexed in the background, once (docs/ADMIN.md).
	reindexCtx, stopReindex := context.WithCancel(runCtx)
	reindexDone := make(chan struct{})
	go func() { defer close(reindexDone); reindexOnStart(reindexCtx, m.store, model, m.log) }()
	defer func() { stopReindex(); <-reindexDone }()

	svc := ledger.New(m.store, model, ledger.NewPrometheusMetrics(reg))
	if m.demo && head == 0 {
		m.log.Info("loading the Almaty demo cycles")
		if err := loadDemo(ctx, svc, voters); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		h, _ := m.store.Head(ctx)
		m.log.Info("demo loaded", "position", h, "tokens", filepath.Join(m.dataDir, demoTokensFile))
	}

	stopScheduler := startScheduler(ctx, svc, model, m.calendarEvery, m.log)
	defer stopScheduler()

	handler := pbhttp.NewServer(pbhttp.Config{
		Store: m.store, Ledger: svc, Model: model, Tokens: tokens, Voters: voters, Personal: vault,
		Metrics: pbhttp.NewMetrics(reg), MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		Logger: m.log, Ready: func() bool { return true }, Log: tlog, Writable: healthOf(m.store),
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	m.log.Info("pbledger serving", "addr", "http://"+m.listener.Addr().String(), "data", m.dataDir)
	if m.grpcAddr != "" {
		g, err := m.startGRPC(tokens, func(ctx context.Context, e eventstore.RecordedEvent) []byte { return handler.PublicEventData(ctx, e) })
		if err != nil {
			srv.Close()
			return err
		}
		defer g.Stop()
	}
	close(m.ready)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(m.listener) }()
	select {
	case err := <-serveErr:
		return err
	case err := <-runnerDone:
		runnerDone <- err
		srv.Close()
		return fmt.Errorf("read model stopped: %w", err)
	case err := <-tlogErrs:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	m.log.Info("shutting down: draining requests in flight", "up to", m.drain)
	drainCtx, cancel := context.WithTimeout(context.Background(), m.drain)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	return nil
}

// newCommitMetrics registers the store's metrics and returns the filestore hook that feeds them.
func newCommitMetrics(reg prometheus.Registerer) func(filestore.CommitInfo) {
	f := promauto.With(reg)
	batch := f.NewHistogram(prometheus.HistogramOpts{
		Name:    "pbledger_store_fsync_batch_events",
		Help:    "Events made durable by one group commit (one write and one fdatasync).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 14),
	})
	sync := f.NewHistogram(prometheus.HistogramOpts{
		Name:    "pbledger_store_fsync_duration_seconds",
		Help:    "Time to write and fdatasync one group commit.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
	})
	bytes := f.NewCounter(prometheus.CounterOpts{Name: "pbledger_store_written_bytes_total", Help: "Bytes of frames written to the log."})
	return func(c filestore.CommitInfo) {
		batch.Observe(float64(c.Events))
		sync.Observe(c.Sync.Seconds())
		bytes.Add(float64(c.Bytes))
	}
}

// loadVoterSecret reads the voter-key secret, creating a random one (readable by the owner only) if the file
// does not exist. Losing it means returning residents get new keys: back it up, apart from the log.
func loadVoterSecret(path string) (*pbhttp.VoterKeys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		b = []byte(hex.EncodeToString(raw) + "\n")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("voter secret: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("voter secret: %w", err)
	}
	return pbhttp.NewVoterKeys([]byte(strings.TrimSpace(string(b))))
}

// writeDemoTokens writes a tokens file with one token per role, and the tokens themselves in plain text
// next to it, so someone trying pbledger can call the write API at once.
func writeDemoTokens(dataDir, tokensPath string) error {
	if _, err := os.Stat(tokensPath); err == nil {
		return nil // an operator's tokens: keep them
	}
	var entries, plain []string
	for _, t := range []struct {
		name     string
		role     pbhttp.Role
		assessor string
	}{
		{"demo-portal", pbhttp.RoleGateway, ""},
		{"demo-moderator", pbhttp.RoleModerator, ""},
		{"demo-expert", pbhttp.RoleAssessor, "expert-1"},
		{"demo-admin", pbhttp.RoleAdmin, ""},
	} {
		token, entry, err := pbhttp.NewToken(t.name, t.role, t.assessor)
		if err != nil {
			return err
		}
		entries = append(entries, "  "+entry)
		plain = append(plain, fmt.Sprintf("%-15s %-9s %s", t.name, t.role, token))
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(tokensPath, []byte("{\"tokens\": [\n"+strings.Join(entries, ",\n")+"\n]}\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, demoTokensFile), []byte("# Demo bearer tokens (Authorization: Bearer <token>). Not for production.\n"+strings.Join(plain, "\n")+"\n"), 0o600)
}

// openServeStore opens the store serve runs on: the file store in the data directory, or, given a KurrentDB
// connection string, that server or cluster.
func openServeStore(ctx context.Context, spec, dataDir string, opts filestore.Options) (eventstore.Store, error) {
	if spec == "" {
		return filestore.Open(ctx, filepath.Join(dataDir, logDir), opts)
	}
	if !esdbstore.IsConnectionString(spec) {
		return nil, fmt.Errorf("--store: %q is not a KurrentDB connection string (esdb://…, esdb+discover://…, kurrentdb://…)", spec)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	return esdbstore.Open(ctx, spec)
}

// startGRPC serves the KurrentDB gRPC endpoint over TLS, with the certificate given or generated into the
// data directory. Principals with the store role may append and read the log as stored; everyone else reads
// what the public event feed shows.
func (m *server) startGRPC(tokens *pbhttp.Tokens, public func(context.Context, eventstore.RecordedEvent) []byte) (*esdbapi.Server, error) {
	host, _, _ := net.SplitHostPort(m.grpcAddr)
	cert, err := esdbapi.LoadOrCreateCertificate(m.grpcCert, m.grpcKey, []string{host})
	if err != nil {
		return nil, err
	}
	g := esdbapi.New(esdbapi.Config{
		Store:      m.store,
		PublicData: public,
		TLS:        &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Logger:     m.log,
		Authenticate: func(user, pass string) (bool, bool) {
			p, ok := tokens.Lookup(pass)
			if !ok || p.Name != user {
				return false, false
			}
			return p.Role == pbhttp.RoleStore, true
		},
	})
	m.grpcListener, err = net.Listen("tcp", m.grpcAddr)
	if err != nil {
		return nil, err
	}
	m.log.Info("KurrentDB gRPC endpoint serving", "addr", m.grpcListener.Addr().String(), "cert", m.grpcCert)
	go g.GRPC().Serve(m.grpcListener)
	return g, nil
}

// healthOf returns the store's health check: the file store reports a full disk or a failed write; a store
// without one (KurrentDB, which reports trouble per call) is always writable as far as this server knows.
func healthOf(s eventstore.Store) func() error {
	if h, ok := s.(interface{ Health() error }); ok {
		return h.Health
	}
	return func() error { return nil }
}
