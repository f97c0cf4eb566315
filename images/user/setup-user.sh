#!/bin/sh
# User layer: makes the host user exist in the image with the same name, UID and GID.
# Base images often hold another user at that UID or GID (Ubuntu 24.04 ships "ubuntu" at 1000):
# that user is renamed, as distrobox and repo2docker do, never silently kept.
set -eu

if [ "$USER_UID" = "0" ]; then
  mkdir -p /root/projects /root/.vscode-server
  exit 0
fi

passwd_field() { getent passwd "$1" | cut -d: -f"$2"; }
group_name_of_gid() { getent group "$1" | cut -d: -f1; }

# The primary group: keep a group already at the GID (renaming it when it belonged to a user we
# displace), otherwise create one named after the user.
holder_of_uid=$(passwd_field "$USER_UID" 1 || true)
group_at_gid=$(group_name_of_gid "$USER_GID" || true)
if [ -z "$group_at_gid" ]; then
  if getent group "$USER_NAME" >/dev/null; then
    groupmod -g "$USER_GID" "$USER_NAME"
  else
    groupadd -g "$USER_GID" "$USER_NAME"
  fi
elif [ "$group_at_gid" != "$USER_NAME" ] && [ -n "$holder_of_uid" ] && [ "$group_at_gid" = "$holder_of_uid" ] \
  && ! getent group "$USER_NAME" >/dev/null; then
  groupmod -n "$USER_NAME" "$group_at_gid"
fi

# The user: rename whoever holds the UID, or move an existing same-named user to the UID.
if [ -n "$holder_of_uid" ] && [ "$holder_of_uid" != "$USER_NAME" ]; then
  if getent passwd "$USER_NAME" >/dev/null; then
    echo "devenv: $holder_of_uid holds UID $USER_UID and $USER_NAME exists too; removing $holder_of_uid from the image"
    userdel "$holder_of_uid"
  else
    echo "devenv: renaming image user $holder_of_uid (UID $USER_UID) to $USER_NAME"
    usermod -l "$USER_NAME" "$holder_of_uid"
  fi
fi
if getent passwd "$USER_NAME" >/dev/null; then
  old_home=$(passwd_field "$USER_NAME" 6)
  usermod -u "$USER_UID" -g "$USER_GID" -s "$USER_SHELL" "$USER_NAME"
  if [ "$old_home" != "$USER_HOME" ]; then
    usermod -d "$USER_HOME" -m "$USER_NAME" 2>/dev/null || usermod -d "$USER_HOME" "$USER_NAME"
  fi
else
  # -l: no lastlog/faillog entry, which for UIDs above 65535 would be a huge sparse file.
  useradd -l -m -d "$USER_HOME" -u "$USER_UID" -g "$USER_GID" -s "$USER_SHELL" "$USER_NAME"
fi

mkdir -p "$USER_HOME" "$USER_HOME/projects" "$USER_HOME/.vscode-server"
[ -f "$USER_HOME/.bashrc" ] || cp /etc/skel/.bashrc "$USER_HOME/.bashrc" 2>/dev/null || true
[ -f "$USER_HOME/.profile" ] || cp /etc/skel/.profile "$USER_HOME/.profile" 2>/dev/null || true
chown "$USER_UID:$USER_GID" "$USER_HOME" "$USER_HOME/projects" "$USER_HOME/.vscode-server"
chown "$USER_UID:$USER_GID" "$USER_HOME/.bashrc" "$USER_HOME/.profile" 2>/dev/null || true

sudoers="/etc/sudoers.d/devenv-user"
printf '%s ALL=(ALL:ALL) NOPASSWD:ALL\n' "$USER_NAME" > "$sudoers.new"
chmod 0440 "$sudoers.new"
visudo -c -q -f "$sudoers.new" || {
  echo "devenv: the sudoers entry for $USER_NAME did not validate" >&2
  exit 67
}
mv "$sudoers.new" "$sudoers"

# The venv of the shared layers is root's (images/shared/setup-python.sh). The user gets its
# folders, not its files: a folder's new owner is a few bytes in this layer, while a file's would
# copy the file here (PyTorch: gigabytes, again for every user). Owning every folder, the user
# can add, upgrade and remove packages with plain `pip install`: removing or replacing a file
# takes write permission on its folder only.
venv=/opt/devenv/venv
if [ -d "$venv" ]; then
  find "$venv" -type d \( ! -user "$USER_UID" -o ! -group "$USER_GID" \) -exec chown -h "$USER_UID:$USER_GID" {} +
fi
