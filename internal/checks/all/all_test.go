package all

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checkdoc"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var update = flag.Bool("update", false, "rewrite docs/checks.md from the registry")

const reference = "../../../docs/checks.md"

// TestReferenceUpToDate fails when docs/checks.md no longer matches the
// registry. Fix with: go test ./internal/checks/all -update
func TestReferenceUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := checkdoc.Markdown(&buf, check.All()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(reference, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(reference)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./internal/checks/all -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("docs/checks.md is out of date; regenerate with: go test ./internal/checks/all -update")
	}
}

// TestEveryCheckIsComplete holds every registered check to the metadata a
// user needs: references to at least one framework, and a fix.
func TestEveryCheckIsComplete(t *testing.T) {
	all := check.All()
	if len(all) < 20 {
		t.Fatalf("only %d checks registered", len(all))
	}
	for _, c := range all {
		if len(c.Refs) == 0 {
			t.Errorf("%s has no framework reference", c.ID)
		}
		if len(c.Reads) == 0 {
			t.Errorf("%s does not say which fields it reads", c.ID)
		}
	}
}

// TestNoCheckReadsCRDBodies guards the scan's speed: CustomResourceDefinitions
// are most of the bytes of real repositories, and the decoder parses only
// the metadata of kinds no check reads in full. A check that needs CRD names
// lists the kind in MetadataOf, not Needs.
func TestNoCheckReadsCRDBodies(t *testing.T) {
	crd := schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
	for _, c := range check.All() {
		if c.ReadsContent(crd) {
			t.Errorf("%s reads CustomResourceDefinition bodies: every CRD in a scan would be parsed in full", c.ID)
		}
	}
}

// TestPeersAreMappedOrDeclined: a peer check is either matched by kubeward
// checks or declined with a reason, never both, and ids are spelt as their
// tools spell them.
func TestPeersAreMappedOrDeclined(t *testing.T) {
	mapped := map[check.Peer]string{}
	for _, c := range check.All() {
		for _, p := range c.Peers {
			p.Note = ""
			mapped[p] = c.ID
			if !peerID[p.Tool].MatchString(p.ID) {
				t.Errorf("%s: peer %s is not spelt as %s spells its checks", c.ID, p, p.Tool)
			}
		}
	}
	for _, d := range checkdoc.Declined() {
		if id, ok := mapped[d.Peer]; ok {
			t.Errorf("%s is declined in docs/checks.md but %s lists it as a peer", d.Peer, id)
		}
		if d.Why == "" || !peerID[d.Peer.Tool].MatchString(d.Peer.ID) {
			t.Errorf("declined %s: needs a reason and a well-formed id", d.Peer)
		}
	}
}

var peerID = map[string]*regexp.Regexp{
	check.PeerTrivy:      regexp.MustCompile(`^KSV\d{3,4}$`), // KSV0125 and later have four digits
	check.PeerKubescape:  regexp.MustCompile(`^C-\d{4}$`),
	check.PeerPolaris:    regexp.MustCompile(`^[a-z][A-Za-z]+$`),
	check.PeerKubeLinter: regexp.MustCompile(`^[a-z]+(-[a-z0-9]+)*$`),
}
