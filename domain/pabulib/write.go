package pabulib

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Write writes inst as a .pb file that Parse reads back as an equal Instance: META, PROJECTS and VOTES with
// their columns in inst's order, fields quoted only where needed (';', '"', line breaks, or a first field that
// would read as a section title), inst.CRLF line endings and inst.BOM.
//
// Write refuses, with an error, an instance Parse would refuse or read differently: a header without its
// mandatory columns or naming a column twice, a META key that is empty or repeated, project or voter IDs that
// are empty, repeated or contain ','; votes for unknown projects, points that do not match the vote, and
// vote types or budgets Parse would not accept.
func Write(w io.Writer, inst *Instance) error {
	if err := checkWritable(inst); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	eol := "\n"
	if inst.CRLF {
		eol = "\r\n"
	}
	if inst.BOM {
		bw.WriteString("\ufeff")
	}
	row := func(fields ...string) {
		for i, f := range fields {
			if i > 0 {
				bw.WriteByte(';')
			}
			if needsQuotes(f, i == 0) {
				bw.WriteByte('"')
				bw.WriteString(strings.ReplaceAll(f, `"`, `""`))
				bw.WriteByte('"')
			} else {
				bw.WriteString(f)
			}
		}
		bw.WriteString(eol)
	}
	title := func(t string) { bw.WriteString(t + eol) }

	title(secMeta)
	row("key", "value")
	for _, kv := range inst.Meta {
		row(kv.Key, kv.Value)
	}

	title(secProjects)
	row(inst.ProjectColumns...)
	fields := make([]string, 0, len(inst.ProjectColumns))
	for _, p := range inst.Projects {
		fields = fields[:0]
		for _, c := range inst.ProjectColumns {
			switch c {
			case "project_id":
				fields = append(fields, p.ID)
			case "cost":
				fields = append(fields, FormatMoney(p.Cost, inst.Exponent))
			default:
				fields = append(fields, p.Fields[c])
			}
		}
		row(fields...)
	}

	title(secVotes)
	row(inst.VoteColumns...)
	fields = make([]string, 0, len(inst.VoteColumns))
	points := make([]string, 0, 16)
	for _, v := range inst.Votes {
		fields = fields[:0]
		for _, c := range inst.VoteColumns {
			switch c {
			case "voter_id":
				fields = append(fields, v.VoterID)
			case "vote":
				fields = append(fields, strings.Join(v.Projects, ","))
			case "points":
				points = points[:0]
				for _, p := range v.Points {
					points = append(points, strconv.FormatInt(p, 10))
				}
				fields = append(fields, strings.Join(points, ","))
			default:
				fields = append(fields, v.Fields[c])
			}
		}
		row(fields...)
	}
	return bw.Flush()
}

// needsQuotes reports whether a field must be quoted to read back as itself.
func needsQuotes(f string, first bool) bool {
	if strings.ContainsAny(f, ";\"\r\n") {
		return true
	}
	if first {
		t := strings.TrimSpace(f)
		return strings.EqualFold(t, secMeta) || strings.EqualFold(t, secProjects) || strings.EqualFold(t, secVotes)
	}
	return false
}

func checkWritable(inst *Instance) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("pabulib: write: "+format, args...)
	}
	keys := map[string]bool{}
	for _, kv := range inst.Meta {
		switch k := kv.Key; {
		case k == "" || k != strings.TrimSpace(k):
			return fail("META key %q is empty or has surrounding spaces", k)
		case keys[k]:
			return fail("META key %q appears twice", k)
		}
		keys[kv.Key] = true
	}
	vt, ok := inst.Get("vote_type")
	if !ok {
		return fail("META lacks vote_type")
	}
	switch vt {
	case VoteApproval, VoteChooseOne, VoteCumulative, VoteOrdinal, VoteScoring:
	default:
		return fail("unknown vote_type %q", vt)
	}
	if _, err := inst.Budget(); err != nil {
		return fail("%v", err)
	}
	if err := checkColumns(inst.ProjectColumns, secProjects, "project_id", "cost"); err != nil {
		return fail("%v", err)
	}
	if err := checkColumns(inst.VoteColumns, secVotes, "voter_id", "vote"); err != nil {
		return fail("%v", err)
	}
	hasPoints := false
	for _, c := range inst.VoteColumns {
		hasPoints = hasPoints || c == "points"
	}
	if (vt == VoteCumulative || vt == VoteScoring) && !hasPoints {
		return fail("vote_type %s needs a points column", vt)
	}
	ids := map[string]bool{}
	for _, p := range inst.Projects {
		if err := checkID(p.ID, "project_id"); err != nil {
			return fail("%v", err)
		}
		if ids[p.ID] {
			return fail("project_id %q appears twice", p.ID)
		}
		if p.Cost < 0 {
			return fail("project %q has negative cost %d", p.ID, p.Cost)
		}
		ids[p.ID] = true
	}
	voters := map[string]bool{}
	for _, v := range inst.Votes {
		if v.VoterID == "" || v.VoterID != strings.TrimSpace(v.VoterID) {
			return fail("voter_id %q is empty or has surrounding spaces", v.VoterID)
		}
		if voters[v.VoterID] {
			return fail("voter_id %q appears twice", v.VoterID)
		}
		voters[v.VoterID] = true
		seen := map[string]bool{}
		for _, id := range v.Projects {
			if !ids[id] {
				return fail("voter %q votes for unknown project %q", v.VoterID, id)
			}
			if seen[id] {
				return fail("voter %q votes for project %q twice", v.VoterID, id)
			}
			seen[id] = true
		}
		switch {
		case !hasPoints && v.Points != nil:
			return fail("voter %q has points but VOTES has no points column", v.VoterID)
		case hasPoints && len(v.Points) != len(v.Projects):
			return fail("voter %q has %d projects but %d points", v.VoterID, len(v.Projects), len(v.Points))
		}
		for _, pt := range v.Points {
			if pt < 0 && vt != VoteScoring {
				return fail("voter %q gives negative points %d, which only scoring votes allow", v.VoterID, pt)
			}
		}
	}
	return nil
}

func checkColumns(cols []string, section string, required ...string) error {
	seen := map[string]bool{}
	for _, c := range cols {
		if c == "" || c != strings.TrimSpace(c) {
			return fmt.Errorf("%s column %q is empty or has surrounding spaces", section, c)
		}
		if seen[c] {
			return fmt.Errorf("%s column %q appears twice", section, c)
		}
		seen[c] = true
	}
	for _, r := range required {
		if !seen[r] {
			return fmt.Errorf("%s columns lack %s", section, r)
		}
	}
	return nil
}

// checkID checks a project ID: vote lists separate IDs with ',', so an ID cannot contain one.
func checkID(id, what string) error {
	if id == "" || id != strings.TrimSpace(id) || strings.Contains(id, ",") {
		return fmt.Errorf("%s %q is empty, has surrounding spaces or contains ','", what, id)
	}
	return nil
}
