package http

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/translog"
	"github.com/pbledger/pbledger/ledger"
)

// BenchmarkReceipt is what a ballot's answer pays for its receipt now that it does not wait for the tree:
// reading the ballot back from its stream, hashing its leaf, and encoding the receipt as JSON.
func BenchmarkReceipt(b *testing.B) {
	store, err := filestore.Open(context.Background(), b.TempDir(), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	const n = 1000
	var written []ledger.Written
	for i := 0; i < n; i++ {
		data := fmt.Sprintf(`{"cycle_id":"almaty-2026","district_id":"almaly","voter":"v%032x","choices":[{"proposal_id":"almaty-2026.almaly.%02d"}]}`, i, i%40)
		stream := fmt.Sprintf("ballot-almaty-2026-almaly-v%032x", i)
		res, err := store.Append(context.Background(), stream, eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: "BallotCast",
			Data: []byte(data), Metadata: []byte(`{"principal":"portal","role":"gateway","request_id":"0123456789abcdef01234567"}`)})
		if err != nil {
			b.Fatal(err)
		}
		written = append(written, ledger.Written{Stream: stream, Revision: res.NextRevision, Position: res.Position})
	}
	s := &Server{store: store, tlog: &Transparency{Tree: translog.NewTree()}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rc := s.receipt(context.Background(), written[i%n])
		if rc == nil {
			b.Fatal("no receipt")
		}
		if _, err := json.Marshal(rc); err != nil {
			b.Fatal(err)
		}
	}
}
