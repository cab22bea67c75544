package projections

import (
	"bytes"
	"time"

	"github.com/pbledger/pbledger/eventstore"
)

// EffectiveTime is when a recorded event took effect: the effective_at of its metadata (see
// ledger.Metadata), or, for an event without one, when it was recorded. It looks the field up without
// decoding the whole metadata, since a replay to a date asks it of every event of the log.
func EffectiveTime(rec eventstore.RecordedEvent) time.Time {
	const key = `"effective_at":"`
	i := bytes.Index(rec.Metadata, []byte(key))
	if i < 0 {
		return rec.Recorded
	}
	rest := rec.Metadata[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return rec.Recorded
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	if err != nil {
		return rec.Recorded
	}
	return t
}
