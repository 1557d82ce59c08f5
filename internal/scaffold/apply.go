package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Apply writes the plan. With conflicts and no Force it writes nothing and
// returns a *ConflictError. Files are staged in a temporary folder next to
// the target, then moved into place; if a move fails the originals are put
// back, so the target ends up either as it was or fully updated.
func (p *Plan) Apply() error {
	if cs := p.Conflicts(); len(cs) > 0 {
		return &ConflictError{Changes: cs}
	}
	lock, err := marshalLock(p.lock)
	if err != nil {
		return err
	}
	parent := filepath.Dir(p.Dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	stage, err := os.MkdirTemp(parent, ".msctl-stage-")
	if err != nil {
		return fmt.Errorf("staging: %w", err)
	}
	defer os.RemoveAll(stage)

	newDir := filepath.Join(stage, "new")
	var moves []*Change
	for _, c := range p.Changes {
		if c.Action != ActionCreate && c.Action != ActionUpdate {
			continue
		}
		if err := writeStaged(filepath.Join(newDir, filepath.FromSlash(c.Path)), c.new, fileMode(c.mode)); err != nil {
			return err
		}
		moves = append(moves, c)
	}
	if err := writeStaged(filepath.Join(newDir, LockName), lock, 0o644); err != nil {
		return err
	}

	if !p.exists {
		// A new project: one rename puts the whole tree in place.
		if err := os.Rename(newDir, p.Dir); err != nil {
			return fmt.Errorf("moving the generated project to %s: %w", p.Dir, err)
		}
		return nil
	}
	return p.moveInto(stage, newDir, moves)
}

func writeStaged(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("staging: %w", err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("staging: %w", err)
	}
	return os.Chmod(path, mode)
}

// moveInto moves staged files over an existing project, keeping the
// replaced files in the stage until every move has succeeded.
func (p *Plan) moveInto(stage, newDir string, moves []*Change) (err error) {
	backup := filepath.Join(stage, "old")
	type done struct {
		target, saved string
		createdDirs   []string
	}
	var applied []done
	defer func() {
		if err == nil {
			return
		}
		for i := len(applied) - 1; i >= 0; i-- {
			d := applied[i]
			_ = os.Remove(d.target)
			if d.saved != "" {
				_ = os.Rename(d.saved, d.target)
			}
			for j := len(d.createdDirs) - 1; j >= 0; j-- {
				_ = os.Remove(d.createdDirs[j])
			}
		}
	}()
	paths := make([]string, 0, len(moves)+1)
	for _, c := range moves {
		paths = append(paths, c.Path)
	}
	paths = append(paths, LockName)
	for _, rel := range paths {
		target := filepath.Join(p.Dir, filepath.FromSlash(rel))
		var d done
		d.target = target
		d.createdDirs, err = mkdirs(p.Dir, filepath.Dir(target))
		if err != nil {
			return err
		}
		if _, statErr := os.Lstat(target); statErr == nil {
			d.saved = filepath.Join(backup, filepath.FromSlash(rel))
			if err = os.MkdirAll(filepath.Dir(d.saved), 0o755); err != nil {
				return fmt.Errorf("staging: %w", err)
			}
			if err = os.Rename(target, d.saved); err != nil {
				return fmt.Errorf("replacing %s: %w", rel, err)
			}
		} else if !errors.Is(statErr, fs.ErrNotExist) {
			return statErr
		}
		if err = os.Rename(filepath.Join(newDir, filepath.FromSlash(rel)), target); err != nil {
			if d.saved != "" {
				_ = os.Rename(d.saved, target)
			}
			return fmt.Errorf("writing %s: %w", rel, err)
		}
		applied = append(applied, d)
	}
	return nil
}

// mkdirs creates dir and its missing parents below root, returning the
// folders it created, outermost first.
func mkdirs(root, dir string) ([]string, error) {
	var missing []string
	for d := dir; d != root && len(d) > len(root); d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
	}
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return missing, nil
}
