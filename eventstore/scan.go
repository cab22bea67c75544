package eventstore

import "context"

// AllScanner is an optional interface of a Store: it shows events in global order without copying them.
// Readers that only look at each event once and keep nothing of it (the transparency log's follower hashes
// each event into a leaf) use it when the store has it and ReadAll otherwise; it saves them the copy of every
// event's bytes and the garbage it makes.
type AllScanner interface {
	// ScanAll calls fn with up to max events in global order, starting at the first event whose position is
	// at least from, and returns how many it showed. The event and every slice in it are valid only during
	// the call: fn must copy what it keeps, must not change them, and must not call the store. An error
	// from fn stops the scan and is returned.
	ScanAll(ctx context.Context, from Position, max int, fn func(e *RecordedEvent) error) (int, error)
}
