// Package http serves pbledger over HTTP: the JSON API (writes need a bearer token, reads are public), the
// auditors' event feed, Prometheus metrics and the public web page.
//
// Errors are answered as application/problem+json (RFC 9457); the one table from error codes to statuses is
// statusFor in problem.go.
package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
	"github.com/pbledger/pbledger/personal"
	"github.com/pbledger/pbledger/projections"
)

// Config is what a Server needs. Everything is passed in; the package keeps no globals.
type Config struct {
	Store  eventstore.Store
	Ledger *ledger.Service
	Model  *projections.Model
	Tokens *Tokens
	Voters *VoterKeys
	// Personal keeps authors' personal data erasable (crypto-shredding); nil refuses personal data.
	Personal *personal.Vault
	// Metrics, if not nil, records request counts and latencies.
	Metrics *Metrics
	// MetricsHandler serves /metrics (for example promhttp.HandlerFor the registry); nil means no /metrics.
	MetricsHandler http.Handler
	Logger         *slog.Logger
	// MaxBodyBytes bounds write request bodies (default 64 KiB).
	MaxBodyBytes int64
	// ReadWait bounds how long a read with ?min_position= waits for the read model (default 5 s).
	ReadWait time.Duration
	// Ready reports whether the read model has caught up; /readyz answers 503 until it has.
	Ready func() bool
	// Log, if not nil, is the transparency log served under /v1/log, with receipts for ballots
	// (http/translog.go).
	Log *Transparency
	// Writable, if set, reports whether the store can write (nil) or why not (an error wrapping
	// eventstore.ErrDiskFull while the disk is full); /readyz answers 503 while it cannot.
	Writable func() error
}

// Server is pbledger's HTTP handler.
type Server struct {
	store   eventstore.Store
	ledger  *ledger.Service
	model   *projections.Model
	tokens  *Tokens
	voters  *VoterKeys
	metrics *Metrics
	log     *slog.Logger
	maxBody int64
	wait    time.Duration
	ready   func() bool
	health  func() error
	router  chi.Router
	pages   *pages
	tlog    *Transparency

	personal *personal.Vault // authors' erasable personal data; nil refuses it
}

// NewServer builds the handler.
func NewServer(cfg Config) *Server {
	s := &Server{
		store: cfg.Store, ledger: cfg.Ledger, model: cfg.Model, tokens: cfg.Tokens, voters: cfg.Voters,
		metrics: cfg.Metrics, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, wait: cfg.ReadWait, ready: cfg.Ready,
		tlog:   cfg.Log,
		health: cfg.Writable,
	}
	s.personal = cfg.Personal
	if s.log == nil {
		s.log = discardLogger
	}
	if s.maxBody <= 0 {
		s.maxBody = 64 << 10
	}
	if s.wait <= 0 {
		s.wait = 5 * time.Second
	}
	if s.ready == nil {
		s.ready = func() bool { return true }
	}
	s.pages = newPages()
	r := chi.NewRouter()
	r.Use(s.requestIDs, s.instrument)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf("not_found", "no such resource: %s", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(codeMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
	})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready() {
			s.writeError(w, r, errorf(codeUnavailable, "the read model is still catching up"))
			return
		}
		if s.health != nil {
			if err := s.health(); err != nil {
				// The cause names files; the log has it (the store reported it), the answer says it in words.
				s.writeError(w, r, &apiError{code: codeUnavailable, message: unwritableMessage(err), cause: err})
				return
			}
		}
		w.Write([]byte("ready\n"))
	})
	if cfg.MetricsHandler != nil {
		r.Method(http.MethodGet, "/metrics", cfg.MetricsHandler)
	}
	r.Route("/v1", func(r chi.Router) {
		// Reads: public.
		r.Get("/cycles", s.getCycles)
		r.Get("/cycles/{cycle}", s.getCycle)
		r.Get("/cycles/{cycle}/balances", s.getCycleBalances)
		r.Get("/cycles/{cycle}/implementation", s.getTracker)
		r.Get("/cycles/{cycle}/districts/{district}/ranking", s.getRanking)
		r.Get("/cycles/{cycle}/districts/{district}/balance", s.getBalance)
		r.Get("/cycles/{cycle}/districts/{district}/outcome", s.getOutcome)
		r.Get("/cycles/{cycle}/districts/{district}/pabulib", s.getPabulib)
		r.Get("/cycles/{cycle}/proposals", s.getProposals)
		r.Get("/proposals/{proposal}", s.getProposal)
		r.Get("/events", s.getEvents)
		s.logRoutes(r) // the transparency log, receipts and checkpoints (translog.go)
		// Writes: one POST per domain command.
		r.Post("/cycles", s.postOpenCycle)
		r.Post("/cycles/{cycle}/phase", s.postAdvancePhase)
		r.Post("/cycles/{cycle}/schedule", s.postReschedulePhase)
		r.Post("/cycles/{cycle}/assessors", s.postRegisterAssessor)
		r.Post("/cycles/{cycle}/districts/{district}/allocation", s.postAllocate)
		r.Post("/cycles/{cycle}/districts/{district}/exclusions", s.postExclusionGroup)
		r.Post("/cycles/{cycle}/proposals", s.postSubmitProposal)
		r.Post("/cycles/{cycle}/ballots", s.postCastBallot)
		r.Post("/proposals/{proposal}/revise", s.postReviseProposal)
		r.Post("/proposals/{proposal}/publish", s.postPublishProposal)
		r.Post("/proposals/{proposal}/reject", s.postRejectProposal)
		r.Post("/proposals/{proposal}/withdraw", s.postWithdrawProposal)
		r.Post("/proposals/{proposal}/assessments", s.postScoreProposal)
		r.Post("/proposals/{proposal}/infeasible", s.postMarkInfeasible)
		r.Post("/proposals/{proposal}/feasible", s.postMarkFeasible)
		r.Post("/proposals/{proposal}/pledges", s.postPledge)
		r.Post("/proposals/{proposal}/milestones", s.postMilestone)
		r.Post("/erasures", s.postErasure)
	})
	s.pages.routes(r, s)
	s.router = r
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

type requestIDKey struct{}

// requestIDs gives every request an ID: the caller's X-Request-ID if it is sensible, else a random one. It is
// echoed in the response, written into the metadata of the events the request appends, and in problem details.
func (s *Server) requestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !sensibleID(id) {
			b := make([]byte, 12)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func sensibleID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// instrument records each request's route, method, status and latency.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.metrics == nil {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		// The route pattern, not the path, keeps the label set bounded; requests no route matched (chi
		// names those under /v1 "/v1/*") all count as "unmatched".
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" && !strings.HasSuffix(rc.RoutePattern(), "/*") {
			route = rc.RoutePattern()
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.observe(route, r.Method, strconv.Itoa(sw.status), time.Since(start))
	})
}
