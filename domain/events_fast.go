package domain

import "unicode/utf8"

// Ballots are nearly every event of a busy log, and rebuilding the read model decodes every one of them, so
// they have a decoder of their own for the compact JSON that Encode writes. It accepts only a strict subset
// — an object with the ballot's known keys, each at most once, string values without escapes, integer points,
// no whitespace — and reports ok false for anything else, which Decode then hands to encoding/json. So the
// fast path can never accept what the general one would refuse, nor read anything differently; a fuzz test
// holds it to that.

type ballotFields struct {
	CycleID    CycleID
	DistrictID DistrictID
	Voter      VoterKey
	Choices    []BallotChoice
}

func decodeBallotFast(data []byte) (ballotFields, bool) {
	var b ballotFields
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
		switch key {
		case "cycle_id", "district_id", "voter":
			v, ok := p.str()
			if !ok {
				return b, false
			}
			idx := 0
			switch key {
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
				b.CycleID = CycleID(v)
			case 1:
				b.DistrictID = DistrictID(v)
			case 2:
				b.Voter = VoterKey(v)
			}
		case "choices":
			if seen[3] || !p.byte('[') {
				return b, false
			}
			seen[3] = true
			b.Choices = []BallotChoice{}
			if p.peek(']') {
				p.i++
			} else {
				for {
					c, ok := p.choice()
					if !ok {
						return b, false
					}
					b.Choices = append(b.Choices, c)
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

// str reads a string with no escapes and only printable ASCII or valid UTF-8 (no control characters).
func (p *fastParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// choice reads {"proposal_id":"…"} or {"proposal_id":"…","points":N}, keys in either order.
func (p *fastParser) choice() (BallotChoice, bool) {
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
		switch key {
		case "proposal_id":
			v, ok := p.str()
			if !ok || seenID {
				return c, false
			}
			seenID, c.ProposalID = true, ProposalID(v)
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
