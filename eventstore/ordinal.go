package eventstore

// Ordinals is an optional interface of a Store whose positions tell each event's place in the global order
// without reading (the file store numbers events 1, 2, 3, …). The transparency log's leaf i is the i-th event
// of the global order, so a store that has it lets a ballot's answer name its leaf at once, without waiting
// for the tree to reach it; readers use it when the store has it and otherwise wait for the tree. A backend
// whose positions leave gaps (EventStoreDB's are log offsets) does not implement it.
type Ordinals interface {
	// Ordinal returns the index, counted from 0, in the global order of the event at position p, and false
	// if p cannot be an event's position (Start). p must be the position of an event the store holds (one an
	// Append or Head returned): for any other position the answer means nothing. It does no I/O.
	Ordinal(p Position) (int64, bool)
}
