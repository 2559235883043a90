package dev.p2psuite.systemtest;

import io.grpc.Channel;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** What a generic reflection-based tool (grpcurl, Postman) sees of a server. */
final class Reflection {

    private Reflection() {
    }

    static Set<String> listServices(Channel channel) throws Exception {
        CompletableFuture<Set<String>> result = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        Set<String> names = new TreeSet<>();
                        for (ServiceResponse s : response.getListServicesResponse().getServiceList()) {
                            names.add(s.getName());
                        }
                        result.complete(names);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.complete(Set.of());
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
        Set<String> names = result.get(10, TimeUnit.SECONDS);
        requests.onCompleted();
        return names;
    }
}
