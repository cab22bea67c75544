package esdbstore_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/esdbapi"
	"github.com/pbledger/pbledger/esdbapi/esdbapitest"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/esdbstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

// endpoint serves pbledger's KurrentDB endpoint over TLS on loopback, backed by a file store in a temporary
// directory, and returns a connection string with the credentials of a principal that may append.
func endpoint(tb testing.TB) string { return esdbapitest.ServeFileStore(tb) }

func open(tb testing.TB, conn string) eventstore.Store {
	tb.Helper()
	s, err := esdbstore.Open(context.Background(), conn)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestContract runs the contract suite on esdbstore connected over loopback to pbledger's own endpoint,
// backed by a file store: the official client against the server side of the same protocol.
func TestContract(t *testing.T) {
	conn := endpoint(t)
	storetest.Run(t, storetest.Backend{
		Open: func(tb testing.TB) eventstore.Store { return open(tb, conn) },
		Reopen: func(tb testing.TB, s eventstore.Store) eventstore.Store {
			s.Close()
			return open(tb, conn)
		},
	})
}

// TestCredentials: reads need none; appends need credentials whose principal may append, and refused ones
// are eventstore.ErrAccessDenied.
func TestCredentials(t *testing.T) {
	conn := endpoint(t)
	writer := open(t, conn)
	defer writer.Close()
	stream := "creds-" + uuid.NewString()
	if _, err := writer.Append(context.Background(), stream, eventstore.NoStream(), storetest.Event("Thing", 0)); err != nil {
		t.Fatalf("append with store credentials: %v", err)
	}
	tests := []struct {
		name string
		conn string
	}{
		{"no credentials", strings.Replace(conn, "store:s3cret@", "", 1)},
		{"credentials that may only read", strings.Replace(conn, "s3cret", "reader", 1)},
		{"wrong password", strings.Replace(conn, "s3cret", "wrong", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, tt.conn)
			defer s.Close()
			_, err := s.Append(context.Background(), stream, eventstore.Any(), storetest.Event("Thing", 1))
			if !errors.Is(err, eventstore.ErrAccessDenied) {
				t.Fatalf("append: got %v, want ErrAccessDenied", err)
			}
			if tt.name == "wrong password" {
				return
			}
			evs, err := s.ReadStream(context.Background(), stream, eventstore.Forwards, 0, 10)
			if err != nil || len(evs) != 1 {
				t.Fatalf("read: got %d events, %v; want 1", len(evs), err)
			}
		})
	}
	t.Run("unreachable server is ErrUnavailable", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		s := open(t, "esdb://"+addr+"?tls=false&maxDiscoverAttempts=1&discoveryInterval=10&gossipTimeout=1")
		defer s.Close()
		if _, err := s.Head(context.Background()); !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})
}

// A subscriber whose server goes away gets ErrUnavailable (and resubscribes, as the read model does).
func TestSubscriptionServerGone(t *testing.T) {
	fs, err := filestore.Open(context.Background(), filepath.Join(t.TempDir(), "log"), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	srv := esdbapi.New(esdbapi.Config{Store: fs})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.GRPC().Serve(l)
	s := open(t, "esdb://"+l.Addr().String()+"?tls=false")
	defer s.Close()
	sub, err := s.SubscribeAll(context.Background(), eventstore.Start)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if m, err := sub.Next(context.Background()); err != nil || !m.CaughtUp {
		t.Fatalf("got %+v, %v; want CaughtUp", m, err)
	}
	srv.Stop()
	if _, err := sub.Next(context.Background()); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

// Anonymous readers see what the public API shows (Config.PublicData); principals that may append, the
// servers sharing the store, see the data as stored.
func TestPublicReadersSeePublicData(t *testing.T) {
	fs, err := filestore.Open(context.Background(), filepath.Join(t.TempDir(), "log"), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	conn := esdbapitest.Serve(t, fs, func(c *esdbapi.Config) {
		c.PublicData = func(_ context.Context, e eventstore.RecordedEvent) []byte {
			if e.Type == "Secret" {
				return []byte(`{"withheld":true}`)
			}
			return e.Data
		}
	})
	writer := open(t, conn)
	defer writer.Close()
	stream := "public-" + uuid.NewString()
	secret := storetest.Event("Secret", 7)
	if _, err := writer.Append(context.Background(), stream, eventstore.NoStream(), secret, storetest.Event("Plain", 8)); err != nil {
		t.Fatal(err)
	}
	anon := open(t, strings.Replace(conn, "store:"+esdbapitest.Password+"@", "", 1))
	defer anon.Close()
	for _, tt := range []struct {
		name string
		s    eventstore.Store
		want string
	}{{"anonymous", anon, `{"withheld":true}`}, {"store principal", writer, string(secret.Data)}} {
		evs, err := tt.s.ReadStream(context.Background(), stream, eventstore.Forwards, 0, 10)
		if err != nil || len(evs) != 2 {
			t.Fatalf("%s: got %d events, %v", tt.name, len(evs), err)
		}
		if string(evs[0].Data) != tt.want || string(evs[1].Data) != `{"n":8}` {
			t.Errorf("%s: got %s and %s, want %s and the plain event as stored", tt.name, evs[0].Data, evs[1].Data, tt.want)
		}
	}
}

// TestContractExternal runs the contract suite against the KurrentDB server or cluster that
// PBLEDGER_ESDB_TEST names (a connection string with credentials that may write), e.g. a test cluster
// before going live. Without it there is nothing to run it against: no KurrentDB can be installed here.
func TestContractExternal(t *testing.T) {
	conn := os.Getenv("PBLEDGER_ESDB_TEST")
	if conn == "" {
		t.Skip("PBLEDGER_ESDB_TEST is not set")
	}
	storetest.Run(t, storetest.Backend{
		Open: func(tb testing.TB) eventstore.Store { return open(tb, conn) },
		Reopen: func(tb testing.TB, s eventstore.Store) eventstore.Store {
			s.Close()
			return open(tb, conn)
		},
	})
}
