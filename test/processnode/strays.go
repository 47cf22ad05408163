// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// StrayProcesses returns the pids of live processes that a process node named nodeName started (they
// carry EnvNodeName in their environment). After the node has stopped there must be none. Only
// processes whose environment this process may read are seen (the same user's, or all as root).
func StrayProcesses(nodeName string) []int {
	marker := []byte(EnvNodeName + "=" + nodeName + "\x00")
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, environ...), append([]byte{0}, marker...)) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && isZombie(stat) {
			continue // exited, only waiting for its parent to reap it
		}
		pids = append(pids, pid)
	}
	return pids
}

// isZombie reads the state field of /proc/PID/stat ("pid (comm) S ...").
func isZombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
