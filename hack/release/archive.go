// SPDX-License-Identifier: Apache-2.0

package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// entry is one regular file of an archive.
type entry struct {
	name    string
	mode    fs.FileMode
	content []byte
}

// readArchive reads every regular file of a .tar.gz or .zip into memory, keyed by its path.
func readArchive(path string) (map[string]entry, error) {
	if strings.HasSuffix(path, ".zip") {
		return readZip(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	entries := map[string]entry{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			entries[h.Name] = entry{name: h.Name, mode: h.FileInfo().Mode()}
			continue
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		entries[h.Name] = entry{name: h.Name, mode: h.FileInfo().Mode(), content: content}
	}
}

func readZip(path string) (map[string]entry, error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	entries := map[string]entry{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		entries[f.Name] = entry{name: f.Name, mode: f.Mode(), content: content}
	}
	return entries, nil
}

// binaryPlatform reads the OS and CPU from an executable's own headers (ELF, Mach-O or PE).
func binaryPlatform(content []byte) (Platform, error) {
	r := bytes.NewReader(content)
	if f, err := elf.NewFile(r); err == nil {
		switch f.Machine {
		case elf.EM_X86_64:
			return Platform{"linux", "amd64"}, nil
		case elf.EM_AARCH64:
			return Platform{"linux", "arm64"}, nil
		}
		return Platform{"linux", f.Machine.String()}, nil
	}
	if f, err := macho.NewFile(r); err == nil {
		switch f.Cpu {
		case macho.CpuAmd64:
			return Platform{"darwin", "amd64"}, nil
		case macho.CpuArm64:
			return Platform{"darwin", "arm64"}, nil
		}
		return Platform{"darwin", f.Cpu.String()}, nil
	}
	if f, err := pe.NewFile(r); err == nil {
		switch f.Machine {
		case pe.IMAGE_FILE_MACHINE_AMD64:
			return Platform{"windows", "amd64"}, nil
		case pe.IMAGE_FILE_MACHINE_ARM64:
			return Platform{"windows", "arm64"}, nil
		}
		return Platform{"windows", fmt.Sprintf("machine %#x", f.Machine)}, nil
	}
	return Platform{}, errors.New("not an ELF, Mach-O or PE executable")
}

// checkBuildInfo reads the Go build information that every Go binary carries, whatever its platform,
// and checks that the binary is the right command, built the way a release must be: for p, without
// cgo (static, as the distroless image and krew users need), with -trimpath, and stamped with the
// release's version and commit (.goreleaser.yaml's ldflags). Go does not record -ldflags in
// -trimpath builds, so the stamp is looked up as the strings it puts into the binary.
func checkBuildInfo(content []byte, cmd string, meta Metadata, p Platform) []error {
	info, err := buildinfo.Read(bytes.NewReader(content))
	if err != nil {
		return []error{fmt.Errorf("reading its Go build information: %w", err)}
	}
	var problems []error
	if want := "github.com/anthropics/managed-agents-operator/cmd/" + cmd; info.Path != want {
		problems = append(problems, fmt.Errorf("is %s, want %s", info.Path, want))
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"GOOS": p.OS, "GOARCH": p.Arch, "CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[key] != want {
			problems = append(problems, fmt.Errorf("was built with %s=%q, want %q", key, settings[key], want))
		}
	}
	for _, stamp := range []string{meta.Version, meta.Commit} {
		if !bytes.Contains(content, []byte(stamp)) {
			problems = append(problems, fmt.Errorf("is not stamped with %q (internal/version)", stamp))
		}
	}
	return problems
}
