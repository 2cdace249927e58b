#!/usr/bin/env bash
# Voice tools for IVR prompts and TTS (IVR-4): sox converts uploads to 8 kHz mono 16-bit WAV
# (libsox-fmt-mp3 reads and writes MP3), espeak-ng renders text in Chinese (cmn) and English.
# Installs only what is missing.
. "$(dirname "$0")/lib.sh"
apt_install sox libsox-fmt-mp3 espeak-ng
