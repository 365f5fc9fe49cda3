"""Getting an image into the environment's ECR repository: build and push, or retag."""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from botocore.exceptions import ClientError

from omc.deploy.deployer import DeployError

# A runner executes one command, feeding `stdin` if given; it raises on failure.
Runner = Callable[[Sequence[str], str | None], None]

# ECR's rule for tags; checking here turns a late API error into an early, clear one.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def subprocess_runner(command: Sequence[str], stdin: str | None) -> None:
    subprocess.run(list(command), input=stdin, text=True, check=True)  # noqa: S603


def git_tag(cwd: str = ".") -> str:
    """`git-<sha>`, or `git-<sha>-dirty` when the tree has uncommitted changes: tags are
    immutable in ECR, so the tag must say exactly which source went into the image."""
    git = ["git", "-C", cwd]
    sha = subprocess.check_output([*git, "rev-parse", "--short=12", "HEAD"], text=True)  # noqa: S603
    dirty = subprocess.run([*git, "diff", "--quiet", "HEAD"], check=False).returncode != 0  # noqa: S603
    return f"git-{sha.strip()}{'-dirty' if dirty else ''}"


def check_tag(tag: str) -> str:
    if not _TAG.match(tag):
        raise DeployError(f"'{tag}' is not a valid image tag")
    return tag


class Registry:
    def __init__(self, ecr: Any, *, out: TextIO, runner: Runner = subprocess_runner) -> None:
        self._ecr = ecr
        self._out = out
        self._runner = runner

    def repository_uri(self, repository: str) -> str:
        try:
            found = self._ecr.describe_repositories(repositoryNames=[repository])
        except ClientError as error:
            if _code(error) == "RepositoryNotFoundException":
                raise DeployError(
                    f"ECR repository '{repository}' not found (check --env, --region and "
                    "--repository)"
                ) from error
            raise
        uri: str = found["repositories"][0]["repositoryUri"]
        return uri

    def build_and_push(
        self, repository: str, tag: str, *, context: str, dockerfile: str, dry_run: bool
    ) -> str:
        uri = self.repository_uri(repository)
        image = f"{uri}:{check_tag(tag)}"
        registry = uri.split("/", 1)[0]
        commands: list[tuple[list[str], bool]] = [
            (["docker", "build", "--pull", "--file", dockerfile, "--tag", image, context], False),
            (["docker", "login", "--username", "AWS", "--password-stdin", registry], True),
            (["docker", "push", image], False),
        ]
        for command, needs_password in commands:
            self._say(("would run: " if dry_run else "running: ") + " ".join(command))
            if dry_run:
                continue
            self._runner(command, self._password() if needs_password else None)
        return image

    def retag(self, repository: str, source_tag: str, tag: str, *, dry_run: bool) -> str:
        """Give an image already in ECR a new tag without pulling it: same digest, so
        what was tested is exactly what ships."""
        uri = self.repository_uri(repository)
        image = f"{uri}:{check_tag(tag)}"
        found = self._ecr.batch_get_image(
            repositoryName=repository,
            imageIds=[{"imageTag": check_tag(source_tag)}],
            acceptedMediaTypes=[
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.index.v1+json",
            ],
        )
        if not found.get("images"):
            raise DeployError(f"no image tagged '{source_tag}' in ECR repository '{repository}'")
        if source_tag == tag:
            return image
        source = found["images"][0]
        self._say(("would tag " if dry_run else "tagging ") + f"{uri}:{source_tag} as {tag}")
        if dry_run:
            return image
        arguments = {
            "repositoryName": repository,
            "imageManifest": source["imageManifest"],
            "imageTag": tag,
        }
        if source.get("imageManifestMediaType"):
            arguments["imageManifestMediaType"] = source["imageManifestMediaType"]
        try:
            self._ecr.put_image(**arguments)
        except ClientError as error:
            if _code(error) == "ImageTagAlreadyExistsException":
                raise DeployError(
                    f"tag '{tag}' already exists in '{repository}' and tags are immutable; "
                    "choose a new tag or deploy the existing one with `image`"
                ) from error
            raise
        return image

    def _password(self) -> str:
        token = self._ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        _, _, password = base64.b64decode(token).decode().partition(":")
        return password

    def _say(self, line: str) -> None:
        print(line, file=self._out, flush=True)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
