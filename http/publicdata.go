package http

import (
	"context"
	"encoding/json"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// PublicEventData returns an event's data as the public event feed shows it: a ballot of a cycle that
// withholds its results while voting is open shows no choices. Other adapters that publish the log to
// anonymous readers (the KurrentDB gRPC endpoint) use it, so that they show nothing the API hides.
func (s *Server) PublicEventData(ctx context.Context, rec eventstore.RecordedEvent) json.RawMessage {
	return s.feedData(ctx, rec, map[domain.CycleID]bool{})
}
