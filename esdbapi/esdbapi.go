// Package esdbapi is pbledger's endpoint of the KurrentDB/EventStoreDB gRPC API: the Streams service (Append,
// Read of streams and $all, catch-up subscriptions) and ServerFeatures, over whatever eventstore.Store the
// server runs on, so that the official clients and tools of that ecosystem read pbledger's log, and so that
// several pbledger servers can share one store (each connects with eventstore/esdbstore).
//
// It uses the generated server interfaces that ship with the official Go client; every other service of the
// API (gossip, persistent subscriptions, operations, users, projections) answers Unimplemented, as does
// Delete, Tombstone and BatchAppend: pbledger's log is append-only.
//
// Reads are public and follow the HTTP API's event feed: the same events, and what the feed hides (ballot
// choices while a cycle withholds its results) is hidden here too (Config.PublicData). Appends need the credentials of a principal whose role may append (the "store" role),
// sent as Basic authentication, which the official clients send only over TLS: serve TLS (see
// LoadOrCreateCertificate).
package esdbapi

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/pbledger/pbledger/eventstore"
)

// ServerVersion is the KurrentDB version the endpoint says it speaks. Clients parse it as X.Y.Z and turn
// features on or off by it; 24.10.0 has the Streams API as implemented here (caught-up messages included).
const ServerVersion = "24.10.0"

// Authenticator checks a principal's credentials and says whether it may append. ok is false for unknown
// credentials.
type Authenticator func(username, password string) (mayAppend, ok bool)

// Config configures a Server.
type Config struct {
	Store eventstore.Store
	// Authenticate checks the credentials of a call. Nil refuses every append.
	Authenticate Authenticator
	// PublicData returns what anonymous readers (and principals that may not append) see of an event's
	// data: the public API's rules, e.g. ballot choices withheld while a cycle hides its results. Nil shows
	// the data as stored. Principals that may append see the data as stored: they are the pbledger servers
	// sharing this store, and must count the ballots.
	PublicData func(ctx context.Context, e eventstore.RecordedEvent) []byte
	// TLS, if set, is served; without it the official clients send no credentials, so the endpoint is
	// read-only.
	TLS    *tls.Config
	Logger *slog.Logger
}

// Server is the gRPC endpoint. Create it with New, serve it with Serve.
type Server struct {
	api.UnimplementedStreamsServer
	serverfeatures.UnimplementedServerFeaturesServer
	cfg  Config
	grpc *grpc.Server
}

// New returns a Server over cfg.Store.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	opts := []grpc.ServerOption{
		// The official clients ping every 10 s by default, with or without calls in flight; the default
		// policy (5 minutes, not without streams) would answer them with GOAWAY.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.MaxRecvMsgSize(eventstore.MaxAppendSize + 1<<20),
	}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s := &Server{cfg: cfg, grpc: grpc.NewServer(opts...)}
	api.RegisterStreamsServer(s.grpc, s)
	serverfeatures.RegisterServerFeaturesServer(s.grpc, s)
	return s
}

// GRPC returns the underlying gRPC server (to Serve a listener, GracefulStop or Stop it).
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Stop closes the listeners and every call in flight (subscriptions included).
func (s *Server) Stop() { s.grpc.Stop() }

// GetSupportedMethods implements ServerFeatures: what this endpoint serves, and its version.
func (s *Server) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const svc = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: ServerVersion,
		Methods: []*serverfeatures.SupportedMethod{
			{MethodName: "read", ServiceName: svc},
			{MethodName: "append", ServiceName: svc},
		},
	}, nil
}

// authenticate checks a call's credentials: none is anonymous (ok, may not append), bad ones are refused.
func (s *Server) authenticate(ctx context.Context) (mayAppend bool, err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return false, nil
	}
	raw, ok := strings.CutPrefix(vals[0], "Basic ")
	if !ok {
		return false, status.Error(codes.Unauthenticated, "only Basic credentials are accepted")
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return false, status.Error(codes.Unauthenticated, "malformed Basic credentials")
	}
	user, pass, _ := strings.Cut(string(b), ":")
	if s.cfg.Authenticate == nil {
		return false, status.Error(codes.Unauthenticated, "this endpoint accepts no credentials")
	}
	may, ok := s.cfg.Authenticate(user, pass)
	if !ok {
		return false, status.Error(codes.Unauthenticated, "bad credentials")
	}
	return may, nil
}

// storeError turns a store's error into a gRPC status the official clients understand.
func storeError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, eventstore.ErrInvalidAppend):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, eventstore.ErrDuplicateEventID):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, eventstore.ErrClosed), errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrDiskFull):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, eventstore.ErrAccessDenied):
		return status.Error(codes.PermissionDenied, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

func empty() *shared.Empty { return &shared.Empty{} }

func protoUUID(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	var most, least int64
	for i := 0; i < 8; i++ {
		most = most<<8 | int64(id[i])
		least = least<<8 | int64(id[8+i])
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}}
}

func fromProtoUUID(p *shared.UUID) (uuid.UUID, error) {
	if p == nil {
		return uuid.Nil, errors.New("event has no ID")
	}
	if st := p.GetStructured(); st != nil {
		var id uuid.UUID
		m, l := uint64(st.MostSignificantBits), uint64(st.LeastSignificantBits)
		for i := 7; i >= 0; i-- {
			id[i], id[8+i] = byte(m), byte(l)
			m, l = m>>8, l>>8
		}
		return id, nil
	}
	return uuid.Parse(p.GetString_())
}

// Append implements Streams.Append: an options message, then the events, appended atomically with the
// expected revision.
func (s *Server) Append(stream api.Streams_AppendServer) error {
	ctx := stream.Context()
	may, err := s.authenticate(ctx)
	if err == nil && !may {
		err = status.Error(codes.PermissionDenied, "appending needs the credentials of a principal with the store role")
	}
	if err != nil {
		return refuseAppend(stream, err)
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return refuseAppend(stream, status.Error(codes.InvalidArgument, "an append starts with its options"))
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	var expected eventstore.ExpectedRevision
	switch o := opts.ExpectedStreamRevision.(type) {
	case *api.AppendReq_Options_Revision:
		expected = eventstore.Exact(eventstore.Revision(o.Revision))
	case *api.AppendReq_Options_NoStream:
		expected = eventstore.NoStream()
	case *api.AppendReq_Options_StreamExists:
		expected = eventstore.StreamExists()
	default:
		expected = eventstore.Any()
	}
	var events []eventstore.EventData
	size := 0
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		msg := req.GetProposedMessage()
		if msg == nil {
			return refuseAppend(stream, status.Error(codes.InvalidArgument, "expected an event"))
		}
		id, err := fromProtoUUID(msg.Id)
		if err != nil {
			return refuseAppend(stream, status.Errorf(codes.InvalidArgument, "event ID: %v", err))
		}
		typ := msg.Metadata["type"]
		if typ == "" {
			return refuseAppend(stream, status.Error(codes.InvalidArgument, "an event needs a type"))
		}
		if size += len(msg.Data) + len(msg.CustomMetadata) + len(typ); size > 2*eventstore.MaxAppendSize {
			return refuseAppend(stream, status.Error(codes.InvalidArgument, "append too large"))
		}
		events = append(events, eventstore.EventData{ID: id, Type: typ, Data: msg.Data, Metadata: msg.CustomMetadata})
	}
	res, err := s.cfg.Store.Append(ctx, name, expected, events...)
	var wrong *eventstore.WrongExpectedRevisionError
	if errors.As(err, &wrong) {
		return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wrongVersion(wrong)}})
	}
	if err != nil {
		return storeError(err)
	}
	pos := &api.AppendResp_Position{CommitPosition: uint64(res.Position), PreparePosition: uint64(res.Position)}
	return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(res.NextRevision)},
		PositionOption:        &api.AppendResp_Success_Position{Position: pos},
	}}})
}

// maxRefusedMessages bounds what a refused append reads of its request before it answers.
const maxRefusedMessages = 1024

// refuseAppend answers an append the server refuses before reading all of it, with err, once it has read
// the rest of the request (up to maxRefusedMessages messages). The official clients send the whole request before they read
// the answer; refused at once, their next send fails with a bare EOF and they report that instead of the
// refusal, which then depends on timing.
func refuseAppend(stream api.Streams_AppendServer, err error) error {
	for range maxRefusedMessages {
		if _, rerr := stream.Recv(); rerr != nil {
			break
		}
	}
	return err
}

func wrongVersion(w *eventstore.WrongExpectedRevisionError) *api.AppendResp_WrongExpectedVersion {
	out := &api.AppendResp_WrongExpectedVersion{}
	if w.Exists {
		out.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(w.Actual)}
		out.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(w.Actual)}
	} else {
		out.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: empty()}
		out.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: empty()}
	}
	e := w.Expected
	switch r, exact := e.ExactRevision(); {
	case exact:
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: uint64(r)}
		out.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: uint64(r)}
	case e.IsNoStream():
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: empty()}
	case e.IsStreamExists():
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: empty()}
		out.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: empty()}
	default:
		out.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: empty()}
		out.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: empty()}
	}
	return out
}

// readEvent is an event as the Streams API sends it. The client libraries require the system metadata keys
// type, content-type and created (.NET ticks, 100 ns, since the Unix epoch); some exit the process without
// them.
func readEvent(e *eventstore.RecordedEvent, data []byte, stringIDs bool) *api.ReadResp {
	ct := "application/octet-stream"
	if json.Valid(data) {
		ct = "application/json"
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               protoUUID(e.ID, stringIDs),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(e.StreamID)},
			StreamRevision:   uint64(e.Revision),
			PreparePosition:  uint64(e.Position),
			CommitPosition:   uint64(e.Position),
			Metadata: map[string]string{
				"type":         e.Type,
				"content-type": ct,
				"created":      ticks(e.Recorded),
			},
			CustomMetadata: e.Metadata,
			Data:           data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: uint64(e.Position)},
	}}}
}

func ticks(t time.Time) string { return strconv.FormatInt(t.UnixNano()/100, 10) }
