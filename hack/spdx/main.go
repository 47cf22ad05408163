// SPDX-License-Identifier: Apache-2.0

// Command spdx checks, and with -fix adds, the license header that every Go file and shell script
// of the repository carries:
//
//   - a Go file starts with "// SPDX-License-Identifier: Apache-2.0" and a blank line. A generated file
//     may keep its generator's leading "//go:build" line first (controller-gen writes the header from
//     hack/boilerplate.go.txt after it), and is never fixed here: its generator must write the header.
//   - a shell script (a .sh file, or any file whose shebang runs a shell) has
//     "# SPDX-License-Identifier: Apache-2.0" as its second line, right after the shebang.
//
// It looks at the files git knows (tracked, plus untracked ones that .gitignore does not hide), so a
// new file fails `make verify` before it is even added. Run from the repository root:
//
//	go run ./hack/spdx        # list the files without the header; exit 1 if there are any
//	go run ./hack/spdx -fix   # add the header where it is missing (make spdx)
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
)

func main() {
	fix := flag.Bool("fix", false, "add the missing headers instead of only listing the files")
	flag.Parse()
	files, err := candidateFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spdx:", err)
		os.Exit(2)
	}
	if failed := run(files, *fix); failed > 0 {
		if *fix {
			fmt.Fprintf(os.Stderr, "spdx: %d file(s) need a header that -fix cannot add; see above\n", failed)
		} else {
			fmt.Fprintf(os.Stderr, "spdx: %d file(s) lack the SPDX license header; run 'make spdx'\n", failed)
		}
		os.Exit(1)
	}
}

// run checks (and with fix, repairs) every file and returns how many still lack the header.
func run(paths []string, fix bool) int {
	failed := 0
	for _, path := range paths {
		info, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.Mode().IsRegular()) {
			continue // deleted in the work tree but not yet in the index, or a symlink (a worktree's bin/)
		}
		var content []byte
		if err == nil {
			content, err = os.ReadFile(path)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "spdx:", err)
			failed++
			continue
		}
		kind := classify(path, content)
		if kind == otherFile || hasHeader(kind, content) {
			continue
		}
		if !fix {
			fmt.Printf("%s: missing %q\n", path, headerLine(kind))
			failed++
			continue
		}
		fixed, err := addHeader(kind, content)
		if err == nil {
			err = os.WriteFile(path, fixed, 0) // the file exists, so its mode is kept
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed++
			continue
		}
		fmt.Printf("%s: added the SPDX header\n", path)
	}
	return failed
}

// candidateFiles lists the files git tracks plus the untracked ones .gitignore does not exclude.
func candidateFiles() ([]string, error) {
	out, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return nil, fmt.Errorf("listing files with git: %w", err)
	}
	var files []string
	seen := map[string]bool{}
	for name := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name != "" && !seen[name] {
			seen[name] = true
			files = append(files, name)
		}
	}
	return files, nil
}

// fileKind says which header convention applies to a file.
type fileKind int

const (
	otherFile fileKind = iota
	goFile
	shellScript
)

const spdxID = "SPDX-License-Identifier: Apache-2.0"

func headerLine(kind fileKind) string {
	if kind == goFile {
		return "// " + spdxID
	}
	return "# " + spdxID
}

func classify(path string, content []byte) fileKind {
	switch {
	case strings.HasSuffix(path, ".go"):
		return goFile
	case strings.HasSuffix(path, ".sh"), isShellShebang(firstLine(content)):
		return shellScript
	}
	return otherFile
}

// isShellShebang is true for "#!/bin/sh", "#!/usr/bin/env bash" and the like.
func isShellShebang(line string) bool {
	if !strings.HasPrefix(line, "#!") {
		return false
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		return false
	}
	interpreter := fields[0]
	if strings.HasSuffix(interpreter, "/env") {
		interpreter = ""
		for _, arg := range fields[1:] {
			if !strings.HasPrefix(arg, "-") { // env -S bash
				interpreter = arg
				break
			}
		}
	}
	interpreter = interpreter[strings.LastIndex(interpreter, "/")+1:]
	switch interpreter {
	case "sh", "bash", "dash", "ksh", "zsh":
		return true
	}
	return false
}

func hasHeader(kind fileKind, content []byte) bool {
	lines := strings.Split(string(firstLines(content, 4)), "\n")
	want := headerLine(kind)
	switch kind {
	case goFile:
		if startsWithHeader(lines, want) {
			return true
		}
		// controller-gen puts its build constraint before the header it copies from hack/boilerplate.go.txt.
		return isGenerated(content) && strings.HasPrefix(lines[0], "//go:build ") && len(lines) > 2 &&
			lines[1] == "" && startsWithHeader(lines[2:], want)
	case shellScript:
		if strings.HasPrefix(lines[0], "#!") {
			return len(lines) > 1 && lines[1] == want
		}
		return lines[0] == want
	}
	return true
}

// startsWithHeader is true when lines begin with the header followed by a blank line (or the end of the file).
func startsWithHeader(lines []string, want string) bool {
	return len(lines) > 0 && lines[0] == want && (len(lines) == 1 || strings.TrimRight(lines[1], "\r") == "")
}

// addHeader returns content with the header where the convention wants it. Generated Go files and
// files that already mention an SPDX identifier somewhere else are left to a person (or their generator).
func addHeader(kind fileKind, content []byte) ([]byte, error) {
	if bytes.Contains(firstLines(content, 5), []byte("SPDX-License-Identifier")) {
		return nil, errors.New("has an SPDX line in the wrong place; move it by hand")
	}
	header := headerLine(kind)
	switch kind {
	case goFile:
		if isGenerated(content) {
			return nil, errors.New("is generated; make its generator write the header (see hack/boilerplate.go.txt)")
		}
		return append([]byte(header+"\n\n"), content...), nil
	case shellScript:
		if strings.HasPrefix(firstLine(content), "#!") {
			shebang, rest, _ := bytes.Cut(content, []byte("\n"))
			return fmt.Appendf(nil, "%s\n%s\n%s", shebang, header, rest), nil
		}
		return append([]byte(header+"\n"), content...), nil
	}
	return content, nil
}

// isGenerated follows the Go convention (https://go.dev/s/generatedcode) for marking generated files.
func isGenerated(content []byte) bool {
	for line := range strings.SplitSeq(string(firstLines(content, 20)), "\n") {
		if strings.HasPrefix(line, "// Code generated ") && strings.HasSuffix(line, " DO NOT EDIT.") {
			return true
		}
	}
	return false
}

func firstLine(content []byte) string {
	line, _, _ := bytes.Cut(content, []byte("\n"))
	return strings.TrimRight(string(line), "\r")
}

func firstLines(content []byte, n int) []byte {
	end := 0
	for i := 0; i < n && end < len(content); i++ {
		next := bytes.IndexByte(content[end:], '\n')
		if next < 0 {
			return content
		}
		end += next + 1
	}
	return content[:end]
}
