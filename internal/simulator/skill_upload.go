// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// maxSkillUploadBytes bounds one skill upload (all files together). The
// hosted API's limit is not in the SDK; 8 MiB is the documented skill size.
const maxSkillUploadBytes = 8 << 20

// skillUpload is a validated multipart skill upload.
type skillUpload struct {
	displayName string // "" when not sent
	directory   string // the top-level directory every file is in
	name        string // SKILL.md frontmatter name
	description string // SKILL.md frontmatter description
	files       map[string][]byte
}

var skillName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// readSkillUpload parses a multipart/form-data body the way the SDK sends it:
// one "files[]" part per file whose filename is the file's path
// ("<dir>/SKILL.md", "<dir>/scripts/run.py"), and an optional
// "display_name" field.
func readSkillUpload(r *http.Request, allowDisplayName bool) (skillUpload, *apiError) {
	up := skillUpload{files: map[string][]byte{}}
	mr, err := r.MultipartReader()
	if err != nil {
		return up, errBadRequest("body: must be multipart/form-data with the skill's files")
	}
	total := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, errBadRequest("body: invalid multipart data: %v", err)
		}
		data, err := io.ReadAll(io.LimitReader(part, maxSkillUploadBytes+1-int64(total)))
		if err != nil {
			return up, errBadRequest("body: invalid multipart data: %v", err)
		}
		if total += len(data); total > maxSkillUploadBytes {
			return up, &apiError{status: http.StatusRequestEntityTooLarge, typ: "request_too_large",
				msg: "files: a skill upload may be at most 8 MiB"}
		}
		if aerr := up.addPart(part.FormName(), part.Header.Get("Content-Disposition"), data, allowDisplayName); aerr != nil {
			return up, aerr
		}
	}
	return up, up.validate()
}

func (up *skillUpload) addPart(field, disposition string, data []byte, allowDisplayName bool) *apiError {
	switch field {
	case "display_name":
		if !allowDisplayName {
			return errBadRequest("display_name: extra inputs are not permitted")
		}
		name := string(data)
		if name == "" || len([]rune(name)) > 255 || strings.ContainsAny(name, "\r\n") {
			return errBadRequest("display_name: must be a single line of 1 to 255 characters")
		}
		up.displayName = name
	case "files", "files[]":
		// The full path is in the filename parameter; multipart.Part.FileName
		// would cut it to its base name.
		_, params, err := mime.ParseMediaType(disposition)
		name := params["filename"]
		if err != nil || name == "" {
			return errBadRequest("files: every file needs a filename with its path in the skill")
		}
		clean := path.Clean(name)
		if path.IsAbs(name) || clean != name || strings.HasPrefix(clean, "../") || clean == ".." {
			return errBadRequest("files: %q is not a clean relative path", name)
		}
		if _, dup := up.files[name]; dup {
			return errBadRequest("files: %q is uploaded twice", name)
		}
		up.files[name] = data
	default:
		return errBadRequest("%s: extra inputs are not permitted", field)
	}
	return nil
}

// validate checks that all files share one top-level directory holding a
// SKILL.md whose frontmatter names and describes the skill.
func (up *skillUpload) validate() *apiError {
	if len(up.files) == 0 {
		return errBadRequest("files: field required")
	}
	for name := range up.files {
		dir, _, ok := strings.Cut(name, "/")
		if !ok {
			return errBadRequest("files: %q must be inside the skill's top-level directory", name)
		}
		if up.directory != "" && dir != up.directory {
			return errBadRequest("files: all files must be in the same top-level directory (%q and %q)", up.directory, dir)
		}
		up.directory = dir
	}
	md, ok := up.files[up.directory+"/SKILL.md"]
	if !ok {
		return errBadRequest("files: %s/SKILL.md is required at the root of the skill's directory", up.directory)
	}
	return up.readFrontmatter(md)
}

type skillFrontmatter struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

var xmlTag = regexp.MustCompile(`<[^>]+>`)

func (up *skillUpload) readFrontmatter(md []byte) *apiError {
	md = bytes.ReplaceAll(md, []byte("\r\n"), []byte("\n"))
	rest, ok := bytes.CutPrefix(md, []byte("---\n"))
	end := bytes.Index(rest, []byte("\n---"))
	if !ok || end < 0 {
		return errBadRequest("SKILL.md: must start with YAML frontmatter between --- lines")
	}
	var fm skillFrontmatter
	if err := yaml.Unmarshal(rest[:end], &fm); err != nil {
		return errBadRequest("SKILL.md: invalid YAML frontmatter: %v", err)
	}
	switch {
	case fm.Name == "":
		return errBadRequest("SKILL.md: frontmatter name is required")
	case len(fm.Name) > 64 || !skillName.MatchString(fm.Name):
		return errBadRequest("SKILL.md: frontmatter name must be at most 64 lowercase letters, digits and hyphens")
	case strings.Contains(fm.Name, "anthropic") || strings.Contains(fm.Name, "claude"):
		return errBadRequest("SKILL.md: frontmatter name must not contain the reserved words \"anthropic\" or \"claude\"")
	case strings.TrimSpace(fm.Description) == "":
		return errBadRequest("SKILL.md: frontmatter description is required")
	case len([]rune(fm.Description)) > 1024:
		return errBadRequest("SKILL.md: frontmatter description must be at most 1024 characters")
	case xmlTag.MatchString(fm.Name) || xmlTag.MatchString(fm.Description):
		return errBadRequest("SKILL.md: frontmatter must not contain XML tags")
	}
	up.name, up.description = fm.Name, fm.Description
	return nil
}
