package detect

import (
	"encoding/json"
	"fmt"
	"io"
)

// persistent is implemented by machines whose learned state survives
// restarts.
type persistent interface {
	saveState() (any, error)
	loadState(json.RawMessage) error
}

const stateVersion = 1

type savedState struct {
	Version int                        `json:"version"`
	Rules   map[string]json.RawMessage `json:"rules"`
}

// SaveState writes the learned state of the stateful rules (the identity
// baselines) as JSON. It holds names of identities and of actions only.
func (e *Engine) SaveState(w io.Writer) error {
	s := savedState{Version: stateVersion, Rules: map[string]json.RawMessage{}}
	for i := range e.rules {
		p, ok := e.rules[i].machine.(persistent)
		if !ok {
			continue
		}
		v, err := p.saveState()
		if err != nil {
			return fmt.Errorf("saving %s: %w", e.rules[i].ID, err)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("saving %s: %w", e.rules[i].ID, err)
		}
		s.Rules[e.rules[i].ID] = raw
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(&s)
}

// LoadState restores what SaveState wrote. State for rules that are not
// enabled is ignored.
func (e *Engine) LoadState(r io.Reader) error {
	var s savedState
	dec := json.NewDecoder(io.LimitReader(r, 1<<30))
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("reading detection state: %w", err)
	}
	if s.Version != stateVersion {
		return fmt.Errorf("detection state version %d, want %d", s.Version, stateVersion)
	}
	for i := range e.rules {
		p, ok := e.rules[i].machine.(persistent)
		raw, saved := s.Rules[e.rules[i].ID]
		if !ok || !saved {
			continue
		}
		if err := p.loadState(raw); err != nil {
			return err
		}
	}
	return nil
}
