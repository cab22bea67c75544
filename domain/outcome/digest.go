package outcome

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
)

// digestVersion opens the canonical encoding; a change of encoding must change it.
const digestVersion = "pbledger/outcome-input/v1"

// Digest returns the hex SHA-256 of the canonical encoding of in. It does not validate in.
//
// The encoding is UTF-8 text, one item per line ("\n"), every string written as a netstring
// "<byte length>:<bytes>" so that no separator inside a string can be misread:
//
//	pbledger/outcome-input/v1
//	budget <Budget>
//	vote-type <netstring VoteType>
//	rule <netstring Rule.Name> <Rule.MinSupport> <Rule.Increment, 0 written as 1>
//	lot-seed <netstring LotSeed>
//	projects <count>
//	<netstring ID> <Cost> <Weight as "p/q" or "p", nil written as 1> <netstring Excluded>   (one line per project, sorted by ID)
//	ballots <count>
//	<ballot>                                                                                  (one line per ballot, sorted bytewise)
//
// A ballot line lists its choices, each a netstring project ID followed, for cumulative and scoring ballots
// (and ballots of an unknown vote type), by "=<points>", separated by ",". Choices are sorted by project ID except on ordinal ballots (and ballots of
// an unknown vote type), where their order is the ranking and is kept. Voter keys are left out: they do not
// influence the outcome, so two inputs that differ only in who holds which ballot have the same digest.
// Because projects and ballots are sorted, permuting either does not change the digest.
func Digest(in Input) string {
	h := sha256.New()
	writeCanonical(h, in)
	return hex.EncodeToString(h.Sum(nil))
}

func writeCanonical(w io.Writer, in Input) {
	var b bytes.Buffer
	line := func(parts ...string) {
		for i, p := range parts {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p)
		}
		b.WriteByte('\n')
	}
	inc := in.Rule.Increment
	if inc == 0 {
		inc = 1
	}
	line(digestVersion)
	line("budget", strconv.FormatInt(in.Budget, 10))
	line("vote-type", netstring(string(in.VoteType)))
	line("rule", netstring(string(in.Rule.Name)), strconv.FormatInt(in.Rule.MinSupport, 10), strconv.FormatInt(inc, 10))
	line("lot-seed", netstring(in.LotSeed))

	ps := slices.Clone(in.Projects)
	slices.SortStableFunc(ps, func(a, b Project) int { return cmpString(a.ID, b.ID) })
	line("projects", strconv.Itoa(len(ps)))
	for _, p := range ps {
		weight := "1"
		if p.Weight != nil {
			weight = p.Weight.RatString()
		}
		line(netstring(p.ID), strconv.FormatInt(p.Cost, 10), weight, netstring(p.Excluded))
	}

	ballots := make([]string, len(in.Ballots))
	for i, bl := range in.Ballots {
		ballots[i] = canonicalBallot(in.VoteType, bl)
	}
	slices.Sort(ballots)
	line("ballots", strconv.Itoa(len(ballots)))
	w.Write(b.Bytes())
	for _, bl := range ballots {
		io.WriteString(w, bl)
		io.WriteString(w, "\n")
	}
}

func canonicalBallot(vt VoteType, bl Ballot) string {
	cs := slices.Clone(bl.Choices)
	points := vt == Cumulative || vt == Scoring
	ordered := !(vt == Approval || vt == ChooseOne || points)
	if !ordered {
		slices.SortStableFunc(cs, func(a, b Choice) int { return cmpString(a.Project, b.Project) })
	}
	var b bytes.Buffer
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(netstring(c.Project))
		if points || (ordered && vt != Ordinal) {
			b.WriteByte('=')
			b.WriteString(strconv.FormatInt(c.Points, 10))
		}
	}
	return b.String()
}

func netstring(s string) string {
	return strconv.Itoa(len(s)) + ":" + s
}
