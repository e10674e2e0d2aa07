# tcpcheck's container image: tcpcheck and its runtime libraries on Debian 12,
# nothing of the build.
#
#   docker build -t tcpcheck .
#   docker run --rm --network host -v "$PWD:/work" tcpcheck check my.tcs --target 127.0.0.1:7000
#
# The build stage makes the Debian package with the project's own scripts,
# the same ones the tests run (tests/debian_package_test.sh packages with
# ci/build-package.sh's cpack call and simulates this image's apt-get
# install); the runtime stage installs that package, so apt brings exactly
# the dependencies the package declares.

FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN ci/install-deps.sh --build-only \
 && ci/build-package.sh --out /packages

FROM debian:12-slim
COPY --from=build /packages/ /tmp/packages/
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/packages/tcpcheck_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/packages \
 && tcpcheck --version
WORKDIR /work
ENTRYPOINT ["tcpcheck"]
CMD ["--help"]
