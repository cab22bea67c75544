package http_test

import (
	"bytes"
	"strings"
	"testing"
)

// Item 6: an author's name, contact and note are sealed under a key kept outside the log; an admin erasure
// destroys the key and is audited; replay, rankings, outcomes and exports keep working and show "erased".
func TestPersonalDataCanBeErased(t *testing.T) {
	e := newEnv(t)
	e.must(t, 201, "POST", "/v1/cycles", "admin", openCycle)
	const name, contact, note = "Aigerim Nurlanovna", "+7 701 555 0101", "Call me after six"
	e.must(t, 201, "POST", "/v1/cycles/c1/proposals", "portal", `{"proposal_id":"p1","district_id":"north","resident_id":"author-1",
	  "title":"Benches","description":"","cost":1000,"author_details":{"name":"`+name+`","contact":"`+contact+`","note":"`+note+`"}}`)
	e.must(t, 201, "POST", "/v1/cycles/c1/proposals", "portal", `{"proposal_id":"p2","district_id":"north","resident_id":"author-2",
	  "title":"Trees","description":"","cost":500,"author_details":{"name":"Other Author"}}`)
	// Revising with new details replaces them, still sealed.
	e.must(t, 200, "POST", "/v1/proposals/p1/revise", "portal", `{"resident_id":"author-1","title":"Benches","description":"","cost":1000,
	  "author_details":{"name":"`+name+`","contact":"`+contact+`","note":"`+note+`"}}`)

	for _, secret := range []string{name, contact, note, "Aigerim"} {
		if feed := e.must(t, 200, "GET", "/v1/events?after=0", "", ""); bytes.Contains(feed.body, []byte(secret)) {
			t.Fatalf("the feed holds %q in clear", secret)
		}
	}
	pub := e.must(t, 200, "GET", "/v1/proposals/p1", "", "").json(t)
	ad := pub["author_details"].(map[string]any)
	if ad["name"] != name || ad["contact"] != nil || ad["note"] != nil {
		t.Fatalf("public author details: %v; want the name only", ad)
	}
	mod := e.must(t, 200, "GET", "/v1/proposals/p1", "mod1", "").json(t)["author_details"].(map[string]any)
	if mod["contact"] != contact || mod["note"] != note {
		t.Fatalf("moderator's author details: %v", mod)
	}
	if page := e.must(t, 200, "GET", "/proposals/p1", "", ""); !bytes.Contains(page.body, []byte(name)) {
		t.Fatalf("the page does not name the author")
	}

	// Only an admin may erase; a gateway may not.
	e.must(t, 403, "POST", "/v1/erasures", "portal", `{"proposal_id":"p1"}`)
	e.must(t, 400, "POST", "/v1/erasures", "admin", `{}`)
	er := e.must(t, 201, "POST", "/v1/erasures", "admin", `{"proposal_id":"p1","reason":"request 17 under the personal-data law"}`)
	e.must(t, 409, "POST", "/v1/erasures", "admin", `{"proposal_id":"p1"}`)
	// By cycle and resident ID, for the other author.
	e.must(t, 201, "POST", "/v1/erasures", "admin", `{"cycle_id":"c1","resident_id":"author-2"}`)
	e.must(t, 404, "POST", "/v1/erasures", "admin", `{"cycle_id":"c1","resident_id":"nobody"}`)

	pos := er.header.Get("X-Pbledger-Position")
	got := e.must(t, 200, "GET", "/v1/proposals/p1?min_position="+pos, "admin", "").json(t)["author_details"].(map[string]any)
	if got["name"] != "erased" || got["erased"] != true || got["contact"] != nil {
		t.Fatalf("after erasure: %v", got)
	}
	if page := e.must(t, 200, "GET", "/proposals/p1", "", ""); bytes.Contains(page.body, []byte(name)) || !bytes.Contains(page.body, []byte("erased")) {
		t.Fatalf("the page still names the author, or does not say erased")
	}
	audited := 0
	for _, ev := range e.feed(t) {
		if ev["type"] == "PersonalDataErased" {
			audited++
			if m := ev["metadata"].(map[string]any); m["principal"] != "admin" {
				t.Errorf("erasure metadata %v", m)
			}
		}
	}
	if audited != 2 {
		t.Fatalf("%d erasure events in the log, want 2", audited)
	}
	// An erased author cannot have personal data stored under the destroyed key again.
	e.must(t, 409, "POST", "/v1/proposals/p1/revise", "portal", `{"resident_id":"author-1","title":"Benches","description":"","cost":1000,"author_details":{"name":"X"}}`)

	// The rest of the cycle runs as before: voting, ranking, allocation, outcome, export.
	e.must(t, 200, "POST", "/v1/proposals/p1/publish", "mod1", "")
	e.must(t, 200, "POST", "/v1/proposals/p2/publish", "mod1", "")
	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"review"}`)
	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"voting"}`)
	e.must(t, 201, "POST", "/v1/cycles/c1/ballots", "portal", ballot("r1", "p1", "p2"))
	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"assessment"}`)
	e.must(t, 200, "POST", "/v1/cycles/c1/phase", "admin", `{"to":"allocation"}`)
	a := e.must(t, 201, "POST", "/v1/cycles/c1/districts/north/allocation", "admin", "")
	out := e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/outcome?min_position="+a.header.Get("X-Pbledger-Position"), "", "").json(t)
	if len(out["winners"].([]any)) != 2 {
		t.Fatalf("outcome after erasure: %v", out)
	}
	pb := e.must(t, 200, "GET", "/v1/cycles/c1/districts/north/pabulib", "", "")
	if !strings.Contains(string(pb.body), "p1;") || bytes.Contains(pb.body, []byte(name)) {
		t.Fatalf("export after erasure:\n%s", pb.body)
	}
}
