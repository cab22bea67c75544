package domain

import "unicode/utf8"

// Ballots are nearly every event of a busy log, and rebuilding the read model decodes every one of them, so
// they have a decoder of their own for the compact JSON that Encode writes. It accepts only a strict subset
// — an object with the ballot's known keys, each at most once, string values without escapes, integer points,
// no whitespace — and reports ok false for anything else, which Decode then hands to encoding/json. So the
// fast path can never accept what the general one would refuse, nor read anything differently; a fuzz test
// holds it to that.

// A Decoder decodes events as Decode does, but shares the memory of the names that recur from one event to
// the next (cycles, districts, proposals) among the events it decodes, and reads ballots without the
// allocations of the general path. What it returns is exactly what Decode returns for the same input; only
// the strings may share memory with earlier results. It remembers at most a bounded number of names. The
// zero Decoder is ready for use; a Decoder is not safe for concurrent use (use one per goroutine).
type Decoder struct {
	names   map[string]string
	choices []BallotChoice // scratch: a ballot's choices, copied out at their exact length
}

// maxDecoderNames bounds a Decoder's memory: past it, the names are forgotten and collected afresh.
const maxDecoderNames = 1 << 16

// Decode decodes an event like the package's Decode.
func (d *Decoder) Decode(eventType string, data []byte) (Event, error) {
	switch eventType {
	case EventBallotCast:
		if b, ok := d.ballotFast(data); ok {
			return b, nil
		}
	case EventBallotReplaced:
		if b, ok := d.ballotFast(data); ok {
			return BallotReplaced(b), nil
		}
	}
	return Decode(eventType, data)
}

// DecodeBallot decodes a BallotCast or a BallotReplaced (eventType says which) into the fields the two share,
// returned as a BallotCast: BallotReplaced(b) converts it. It is Decode without the allocation of the
// interface value. Any other event type is an error.
func (d *Decoder) DecodeBallot(eventType string, data []byte) (BallotCast, error) {
	if eventType != EventBallotCast && eventType != EventBallotReplaced {
		return BallotCast{}, internalf(nil, "decode: %s is not a ballot event", eventType)
	}
	if b, ok := d.ballotFast(data); ok {
		return b, nil
	}
	e, err := Decode(eventType, data)
	if err != nil {
		return BallotCast{}, err
	}
	if r, ok := e.(BallotReplaced); ok {
		return BallotCast(r), nil
	}
	return e.(BallotCast), nil
}

// name returns b as a string, the same string every time for the same bytes.
func (d *Decoder) name(b []byte) string {
	if s, ok := d.names[string(b)]; ok { // the conversion in a map index does not allocate
		return s
	}
	if d.names == nil || len(d.names) >= maxDecoderNames {
		d.names = make(map[string]string)
	}
	s := string(b)
	d.names[s] = s
	return s
}

// decodeBallotFast is the fast path without a Decoder's memory (the package's Decode).
func decodeBallotFast(data []byte) (BallotCast, bool) {
	return (*Decoder)(nil).ballotFast(data)
}

// ballotFast reads the compact JSON of a ballot; ok is false if the input is anything else. A nil d decodes
// without sharing names.
func (d *Decoder) ballotFast(data []byte) (BallotCast, bool) {
	var b BallotCast
	p := fastParser{data: data}
	if !p.byte('{') {
		return b, false
	}
	var seen [4]bool
	if p.peek('}') {
		p.i++
		return b, p.i == len(p.data)
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return b, false
		}
		switch string(key) {
		case "cycle_id", "district_id", "voter":
			v, ok := p.str()
			if !ok {
				return b, false
			}
			idx := 0
			switch string(key) {
			case "district_id":
				idx = 1
			case "voter":
				idx = 2
			}
			if seen[idx] {
				return b, false
			}
			seen[idx] = true
			switch idx {
			case 0:
				b.CycleID = CycleID(d.str(v))
			case 1:
				b.DistrictID = DistrictID(d.str(v))
			case 2:
				b.Voter = VoterKey(v) // a voter's key is met once: nothing to share
			}
		case "choices":
			if seen[3] || !p.byte('[') {
				return b, false
			}
			seen[3] = true
			var scratch []BallotChoice
			if d != nil {
				scratch = d.choices[:0]
			}
			if p.peek(']') {
				p.i++
			} else {
				for {
					c, ok := p.choice(d)
					if !ok {
						return b, false
					}
					scratch = append(scratch, c)
					if p.peek(',') {
						p.i++
						continue
					}
					if !p.byte(']') {
						return b, false
					}
					break
				}
			}
			if d == nil {
				if scratch == nil {
					scratch = []BallotChoice{} // never nil: [] decodes as an empty list
				}
				b.Choices = scratch
			} else {
				b.Choices = make([]BallotChoice, len(scratch)) // one allocation, of the exact length
				copy(b.Choices, scratch)
				clear(scratch)
				d.choices = scratch[:0]
			}
		default:
			return b, false
		}
		if p.peek(',') {
			p.i++
			continue
		}
		if !p.byte('}') {
			return b, false
		}
		return b, p.i == len(p.data)
	}
}

// str returns a shared name, or a new string when d is nil.
func (d *Decoder) str(b []byte) string {
	if d == nil {
		return string(b)
	}
	return d.name(b)
}

type fastParser struct {
	data []byte
	i    int
}

func (p *fastParser) peek(c byte) bool { return p.i < len(p.data) && p.data[p.i] == c }

func (p *fastParser) byte(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

// str reads a string with no escapes and only printable ASCII or valid UTF-8 (no control characters), and
// returns its bytes, a view of the input.
func (p *fastParser) str() ([]byte, bool) {
	data, i := p.data, p.i
	if i >= len(data) || data[i] != '"' {
		return nil, false
	}
	i++
	start := i
	ascii := true
	for ; i < len(data); i++ {
		switch strClass[data[i]] {
		case strPlain:
		case strQuote:
			s := data[start:i]
			p.i = i + 1
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case strNonASCII:
			ascii = false
		default: // a backslash or a control character: the general decoder's business
			return nil, false
		}
	}
	return nil, false
}

// strClass sorts the bytes str meets.
var strClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == '"':
			t[c] = strQuote
		case c == '\\' || c < 0x20:
			t[c] = strRefused
		case c >= 0x80:
			t[c] = strNonASCII
		}
	}
	return t
}()

const (
	strPlain = iota
	strQuote
	strNonASCII
	strRefused
)

// choice reads {"proposal_id":"…"} or {"proposal_id":"…","points":N}, keys in either order.
func (p *fastParser) choice(d *Decoder) (BallotChoice, bool) {
	var c BallotChoice
	if !p.byte('{') {
		return c, false
	}
	var seenID, seenPoints bool
	if p.peek('}') {
		p.i++
		return c, true
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return c, false
		}
		switch string(key) {
		case "proposal_id":
			v, ok := p.str()
			if !ok || seenID {
				return c, false
			}
			seenID, c.ProposalID = true, ProposalID(d.str(v))
		case "points":
			n, ok := p.int()
			if !ok || seenPoints {
				return c, false
			}
			seenPoints, c.Points = true, n
		default:
			return c, false
		}
		if p.peek(',') {
			p.i++
			continue
		}
		return c, p.byte('}')
	}
}

// int reads an integer in JSON's grammar (no leading zeros, no fraction or exponent) that fits an int64.
func (p *fastParser) int() (int64, bool) {
	neg := p.byte('-')
	start := p.i
	var n uint64
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		d := uint64(p.data[p.i] - '0')
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + d
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > 1 && p.data[start] == '0' || n > 1<<63-1 {
		return 0, false
	}
	if p.i < len(p.data) && (p.data[p.i] == '.' || p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		return 0, false
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}
