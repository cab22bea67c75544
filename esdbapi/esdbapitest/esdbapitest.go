// Package esdbapitest serves pbledger's KurrentDB gRPC endpoint on loopback for tests and benchmarks: the
// real endpoint over a real store, with TLS and credentials, as `pbledger serve --grpc-addr` runs it.
package esdbapitest

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/pbledger/pbledger/esdbapi"
	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
)

// Password is the password of the "store" principal Serve accepts for appends; "reader" is a principal that
// may only read.
const Password = "s3cret"

// Serve serves the endpoint over store on a loopback port until the test ends, and returns a connection
// string with the credentials of a principal that may append. configure, if given, adjust the endpoint's
// configuration.
func Serve(tb testing.TB, store eventstore.Store, configure ...func(*esdbapi.Config)) string {
	tb.Helper()
	dir := tb.TempDir()
	certFile, keyFile := filepath.Join(dir, "grpc.crt"), filepath.Join(dir, "grpc.key")
	cert, err := esdbapi.LoadOrCreateCertificate(certFile, keyFile, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := esdbapi.Config{
		Store: store,
		TLS:   &tls.Config{Certificates: []tls.Certificate{cert}},
		Authenticate: func(user, pass string) (bool, bool) {
			return pass == Password, pass == Password || pass == "reader"
		},
	}
	for _, c := range configure {
		c(&cfg)
	}
	srv := esdbapi.New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.GRPC().Serve(l)
	tb.Cleanup(srv.Stop)
	return "esdb://store:" + Password + "@" + l.Addr().String() + "?tlsCAFile=" + url.QueryEscape(certFile)
}

// ServeFileStore serves the endpoint over a new file store in a temporary directory.
func ServeFileStore(tb testing.TB) string {
	tb.Helper()
	fs, err := filestore.Open(context.Background(), filepath.Join(tb.TempDir(), "log"), filestore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { fs.Close() })
	return Serve(tb, fs)
}
