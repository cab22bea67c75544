package storetest

import (
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
)

// BenchDir is the directory a store benchmark writes to: a new directory inside PBLEDGER_BENCH_DIR if set (to
// measure a particular disk), else a temporary directory. Either is removed when the benchmark ends.
func BenchDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("PBLEDGER_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "bench")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return tb.TempDir()
}

// Event300 is the store benchmarks' event: about 300 bytes of data and metadata, like a ballot with its
// metadata, with a new ID.
func Event300(i int) eventstore.EventData {
	data := fmt.Sprintf(`{"cycle":"almaty-2020","district":"bostandyq","voter":"v%016x","choices":[{"proposal":"p%06d"},{"proposal":"p%06d"},{"proposal":"p%06d"}],"pad":"%s"}`,
		i, i%97, i%89, i%83, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789")
	meta := `{"principal":"gateway","request":"3b9f7c1e-6a55-4d9e-9a3c-0e6f2d1b7a41"}`
	return eventstore.EventData{ID: uuid.New(), Type: "BallotCast", Data: []byte(data), Metadata: []byte(meta)}
}
